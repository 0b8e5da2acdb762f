"""Fine-tuning small transformers on the CPU for the accurate profile (issue 16): torch at
training only; what ships runs with ONNX Runtime (`analyzers.pair_model`)."""
