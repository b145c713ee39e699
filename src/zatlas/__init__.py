"""zatlas: map the latent space of autoencoders trained on CelebA faces."""

__version__ = "0.1.0"
