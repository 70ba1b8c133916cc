"""Training and tooling apart from the robot: synthetic scenes, datasets, training, evaluation, the sample."""
