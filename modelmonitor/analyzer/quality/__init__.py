"""Model-quality layer: captured predictions joined with ground truth (`ground_truth`, reading through
`read.records` and `read.payloads`), the metrics SageMaker's model-quality monitor computes (`metrics`,
`model_quality`) and the model-quality run of our engines (`run`). Bias monitoring joins this layer.

May import: `read`, `base`. Belongs here: anything that needs labels."""
