"""encode (and encode_vae): the latent code of every image; for a VAE also mu and logvar."""

from __future__ import annotations

from zatlas.stages.files import limit_threads


def run(images, encoder, z, mu=None, logvar=None, eps_clip=None, seed=0, threads=1) -> None:
    from zatlas.encoding import encode_images

    limit_threads(threads, tensorflow=True)
    n = encode_images(images, encoder, z, mu, logvar, eps_clip=eps_clip, seed=seed)
    print(f"encoded {n} images")
