"""Test-time averaging over shifted copies (solutions/augmentation.py, used by the best network)."""

import torch


def blob_images(count=8):
    """Images with one bright 6x6 square near the centre."""
    images = torch.zeros(count, 28, 28)
    images[:, 11:17, 11:17] = 1.0
    return images.reshape(count, 784)


def test_averaging_over_copies_asks_the_network_once_per_copy():
    from augmentation import averaged_over_copies

    seen = []

    def probabilities_of(images):
        """A stand-in network: 'class 1' is the share of ink in the left half of the image."""
        seen.append(images)
        left = images.reshape(-1, 28, 28)[:, :, :14].sum(dim=(1, 2)) / images.sum(dim=1)
        return torch.stack([1 - left, left], dim=1)

    images = blob_images(5)
    alone = averaged_over_copies(probabilities_of, images, copies=0)
    assert len(seen) == 1 and torch.allclose(alone, probabilities_of(images))
    seen.clear()
    averaged = averaged_over_copies(probabilities_of, images, copies=4, seed=1)
    assert len(seen) == 5 and averaged.shape == (5, 2)
    assert torch.allclose(averaged.sum(dim=1), torch.ones(5))
    assert not torch.allclose(seen[1], seen[0]), "the copies are moved"

