"""Pure numpy/scikit-learn analyses of latent point clouds; they return data, never plot."""
