"""Off-robot training and tooling: synthetic scenes, datasets, training, evaluation, the sample."""
