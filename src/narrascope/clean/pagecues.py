"""The words that give away a page that is not an article, in en, de, fr, ru, es, it and pl.

Read by `clean/pagetype.py`. A *title* cue must be a whole segment of the page title ("Privacy
Policy", "Datenschutz | Example GmbH"), never a word inside a headline; *body* cues are whole
short lines (buttons, form labels, prices); *slug* cues are whole segments of the URL path.
Single ambiguous words ("Privacy", "News", "Contact") are weak cues: they count only with
other evidence.
"""

from __future__ import annotations

import re

_I = re.IGNORECASE


def _whole(*alternatives: str) -> re.Pattern[str]:
    return re.compile(r"^(?:" + "|".join(alternatives) + r")[.!:]?$", _I)


_NOT_FOUND = (
    r"(the )?(page|file|seite|pagina|página|страница|strona) (was )?(not found|nicht gefunden"
    r"|non trouvée|introuvable|non trovata|no encontrada|не найдена|nie (została )?znaleziona)"
    r"|not found|nie znaleziono strony|page introuvable"
)
ERROR_TITLE = _whole(
    r"((error|fehler|erreur|ошибка|errore|błąd)\s*)?(404|410|403|500|503)(\s*(error|fehler|erreur))?"
    rf"(\s*[-:–—|.]?\s*({_NOT_FOUND}))?",
    rf"{_NOT_FOUND}(\s*[-:–—|(]?\s*(error )?404\)?)?",
    r"oops[!.,]?( something went wrong| that page can.t be found| page not found)?[.!]?",
    r"access denied|request unsuccessful\b.*|attention required!?( \| cloudflare)?|just a moment\.*",
    r"loading\.*|please wait\.*|redirecting\.*",
    r"доступ запрещ[её]н",
)
ERROR_BODY = re.compile(
    r"the page you (?:are|were|'re) looking for (?:could not be found|cannot be found|does not exist"
    r"|doesn't exist|is no longer|may have been|has been)"
    r"|the (?:requested )?page (?:could not be found|does not exist|doesn't exist|no longer exists)"
    r"|die (?:angeforderte|gewünschte|gesuchte) seite (?:wurde nicht gefunden|existiert nicht|konnte)"
    r"|la page (?:que vous (?:recherchez|cherchez)|demandée) (?:n'existe (?:pas|plus)|est introuvable)"
    r"|запрашиваемая страница не (?:найдена|существует)|страница не найдена"
    r"|la página (?:que (?:buscas|busca|solicitaste)|solicitada) no (?:existe|se encuentra)"
    r"|la pagina (?:che stai cercando|richiesta) non (?:esiste|è stata trovata)"
    r"|^(?:error|fehler|erreur|ошибка|errore) 404\b"
    r"|^request unsuccessful\. incapsula|^access denied\b|checking your browser before accessing"
    r"|please (complete|solve) the (security check|captcha)|are you a robot\?",
    _I,
)

LEGAL_TITLE = _whole(
    r"privacy( policy| notice| statement| & cookies?( policy)?)?",
    r"cookies?( policy| notice| settings| statement)?",
    r"terms( of (use|service))?( and conditions)?|terms & conditions|legal( notice| information)?",
    r"imprint|site notice|disclaimer|accessibility statement|gdpr",
    r"datenschutz(erklärung|hinweise|richtlinie|information(en)?)?|impressum|agb",
    r"allgemeine geschäftsbedingungen|nutzungsbedingungen|cookie-(richtlinie|einstellungen)",
    r"rechtliche hinweise|haftungsausschluss|barrierefreiheit(serklärung)?",
    r"mentions légales|politique de confidentialité|confidentialité|politique (des|de|relative aux) cookies",
    r"conditions générales( d'utilisation| de vente)?|cgu|cgv|protection des données( personnelles)?",
    r"données personnelles|avis de confidentialité",
    r"политика конфиденциальности|пользовательское соглашение|условия использования",
    r"правовая информация|правила использования( материалов)?|выходные данные",
    r"политика (в отношении )?(обработки|использования) (персональных данных|файлов cookie)",
    r"согласие на обработку персональных данных",
    r"política de privacidad|aviso legal|política de cookies|términos y condiciones|condiciones de uso",
    r"términos de uso|protección de datos",
    r"informativa( sulla)? privacy|note legali|termini e condizioni|condizioni d'uso|termini di utilizzo",
    r"informativa( sui)? cookie",
    r"polityka prywatności|regulamin|polityka cookies",
)
LEGAL_WEAK_TITLE = _whole(r"privacy|legal|terms|cookies|datenschutz|confidentialité|privacidad")
LEGAL_SLUG = _whole(
    r"privacy([-_]?(policy|notice|statement))?|cookies?([-_]?policy)?|terms([-_]?(of[-_]?(use|service)"
    r"|and[-_]conditions))?|legal([-_]notice)?|imprint|impressum|datenschutz(erklaerung)?|agb",
    r"mentions[-_]legales|politique[-_]de[-_]confidentialite|cgu|cgv|privacy[-_]policy",
    r"politika[-_]konfidencialnosti|privacy-policy|aviso[-_]legal|politica[-_]de[-_]privacidad",
    r"note[-_]legali|informativa[-_]privacy|polityka[-_]prywatnosci",
)
LEGAL_BODY = re.compile(
    r"personal (data|information)|personenbezogene(n)? daten|données (à caractère )?personnelles"
    r"|персональн\w+ данн\w+|datos personales|dati personali|dane osobowe"
    r"|\bgdpr\b|\bdsgvo\b|\brgpd\b|\brodo\b|\bcookies?\b|§\s*\d+\s*(tmg|ddg|rstv|mstv)"
    r"|handelsregister|registergericht|ust-?id|umsatzsteuer|vertreten durch|verantwortlich (für|i\.s\.d\.)"
    r"|data controller|responsable du traitement|titolare del trattamento|responsable del tratamiento"
    r"|оператор персональных данных|directeur de (la )?publication|hébergeur|siret|partita iva",
    _I,
)

ABOUT_TITLE = _whole(
    r"about( us| the (site|project|company|magazine|newspaper|authors?))?|who we are|our (team|mission)",
    r"contact( us)?|get in touch",
    r"über uns|wir über uns|über mich|unser team|kontakt(formular)?",
    r"à propos( de nous)?|qui sommes[- ]nous ?\??|nous contacter|contactez[- ]nous|notre équipe",
    r"о нас|о проекте|о компании|о сайте|об издании|контакты|связаться с нами|наша команда",
    r"sobre nosotros|quiénes somos|acerca de( nosotros)?|contacto|contáctanos|nuestro equipo",
    r"chi siamo|contatti|contattaci|il nostro team",
    r"o nas|kontakt",
)
ABOUT_SLUG = _whole(
    r"about([-_]us)?|contact([-_]us)?|ueber[-_]uns|uber[-_]uns|kontakt|a[-_]propos|qui[-_]sommes[-_]nous",
    r"contacts?|o[-_]nas|sobre[-_]nosotros|quienes[-_]somos|chi[-_]siamo|contatti|team",
)

LOGIN_TITLE = _whole(
    r"log ?in|sign ?in|sign ?up|register|registration|create (an |your )?account|my account",
    r"(reset|forgot(ten)?) (your )?password",
    r"anmelden|anmeldung|einloggen|registrieren|registrierung|konto erstellen|mein konto",
    r"passwort vergessen|connexion|se connecter|s'identifier|identifiez-vous|inscription",
    r"s'inscrire|créer un compte|mon compte|mot de passe oublié",
    r"вход( в личный кабинет| на сайт)?|войти( в личный кабинет)?|регистрация|авторизация",
    r"личный кабинет|восстановление пароля",
    r"iniciar sesión|acceder|registro|regístrate|crear (una )?cuenta|mi cuenta",
    r"accedi|accesso|registrati|registrazione|crea un account|il mio account",
    r"zaloguj się|logowanie|rejestracja|załóż konto",
)
LOGIN_BODY = _whole(
    r"(your )?(password|passwort|kennwort|mot de passe|пароль|contraseña|hasło)\*?",
    r"(e-?mail|username|user name|benutzername|nom d'utilisateur|логин|usuario|nome utente)"
    r"( (or|oder|ou|или|o) (e-?mail|username|benutzername))?( address| adresse)?\*?",
    r"forgot(ten)? (your )?password\??|passwort vergessen\??|mot de passe oublié ?\??"
    r"|забыли пароль\??|¿?olvidaste tu contraseña\??|password dimenticata\??|nie pamiętasz hasła\??",
    r"remember me|angemeldet bleiben|se souvenir de moi|запомнить меня|recordarme|ricordami",
    r"log ?in|sign ?in|anmelden|einloggen|se connecter|connexion|войти|вход|iniciar sesión|accedi",
    r"create (an )?account|konto erstellen|créer un compte|зарегистрироваться|crear cuenta",
)

PASSWORD = _whole(r"(your )?(password|passwort|kennwort|mot de passe|пароль|contraseña|hasło)\*?")
CART = re.compile(
    r"^(add to (cart|basket|bag)|buy now|in den (warenkorb|einkaufswagen)|jetzt kaufen"
    r"|ajouter au panier|acheter( maintenant)?|в корзину|добавить в корзину|купить( сейчас)?"
    r"|añadir al carrito|agregar al carrito|comprar( ahora)?|aggiungi al carrello|acquista( ora)?"
    r"|do koszyka|dodaj do koszyka|kup teraz)\s*[.!]?$",
    _I,
)
PRICE = re.compile(
    r"^(?:(?:price|preis|prix|цена|precio|prezzo|cena)\s*:?\s*)?"
    r"(?:(?:[$€£¥₽]|usd|eur|chf|руб\.?)\s?\d[\d\s.,']*|\d[\d\s.,']*\s?(?:[$€£¥₽]|usd|eur|chf|руб\.?|zł))"
    r"(?:\s*(?:incl\.|inkl\.|ttc|ht|\*|/\s?\w+).{0,30})?$",
    _I,
)
STOCK = re.compile(
    r"^(in stock|out of stock|only \d+ left|auf lager|sofort lieferbar|nicht vorrätig|en stock"
    r"|rupture de stock|в наличии|нет в наличии|en existencia|agotado|disponibile|esaurito"
    r"|dostępny|sku\s*:.*|artikelnummer\s*:.*|art\.-?nr\.?\s*:.*|référence\s*:.*|артикул\s*:.*"
    r"|quantity|menge|quantité|количество|cantidad|quantità|ilość|qty)\s*:?$",
    _I,
)
PRODUCT_SLUG = _whole(
    r"products?|produkte?|produit|product-page|shop|item|товар|producto|prodotto|p"
)

LISTING_TITLE = re.compile(
    # "Archive:", "Thema:" or "Author:" can open a headline; these words cannot.
    r"^(?:category|category archives?|tag|tag archives?|author archives?|monthly archives?"
    r"|kategorie|kategorie-archiv|schlagwort|catégorie|étiquette|mot-clé"
    r"|archives? (?:de la catégorie|de l'étiquette)|рубрика|метка|тег|архив (?:рубрики|метки)"
    r"|categoría|etiqueta|categoria|kategoria)\s*:\s*\S"
    r"|^(?:posts? tagged|articles? tagged|beiträge (?:mit dem schlagwort|zum thema|von)"
    r"|articles? (?:de la catégorie|avec le mot-clé)|записи (?:с меткой|в рубрике)|search results for"
    r"|suchergebnisse für|résultats de recherche pour|результаты поиска|resultados de búsqueda"
    r"|risultati della ricerca)\b"
    r"|^(?:allgemein|uncategori[sz]ed|non classé|без рубрики|sin categoría|senza categoria"
    r"|bez kategorii)$",
    _I,
)
LISTING_WEAK_TITLE = _whole(
    r"news|latest news|blog|archive|archives|articles|all posts|latest posts|home|homepage|start(seite)?",
    r"nachrichten|aktuelles|aktuell|neuigkeiten|beiträge|actualités|actualité|articles|accueil",
    r"новости|все новости|статьи|главная|noticias|últimas noticias|inicio|notizie|ultime notizie",
    r"aktualności|wiadomości",
)
LISTING_SLUG = _whole(r"category|categories|tag|tags|archive|archives|kategorie|rubrika|page|seite")
READ_MORE = _whole(
    r"read more|continue reading|read the (full )?(story|article)|more »|weiterlesen|mehr lesen|mehr"
    r"|lire la suite|en savoir plus|читать (далее|дальше|полностью)|подробнее|leer más|seguir leyendo"
    r"|leggi (tutto|di più)|continua a leggere|czytaj (dalej|więcej)",
)
