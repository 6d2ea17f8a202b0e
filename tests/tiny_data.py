"""Tiny synthetic data for the trainer's tests: 10 training samples in batches of 4, 4 and 2.

The last, short batch is confidently wrong (a much larger loss), so a loss averaged per batch
instead of per sample comes out visibly wrong.
"""

import torch
from torch.utils.data import DataLoader, TensorDataset


class Linear2(torch.nn.Module):
    """A linear map from 3 features to 2 classes, always initialised the same way."""

    def __init__(self, in_features=3, dropout=0.0):
        super().__init__()
        torch.manual_seed(1)
        self.dropout = torch.nn.Dropout(dropout)
        self.linear = torch.nn.Linear(in_features, 2)

    def forward(self, x):
        return self.linear(self.dropout(x))


def make_data():
    generator = torch.Generator().manual_seed(0)
    train_x = torch.randn(10, 3, generator=generator)
    train_y = torch.tensor([0, 1, 1, 0, 1, 0, 0, 1, 1, 1])
    train_x[8:] *= 6
    with torch.no_grad():
        train_y[8:] = 1 - Linear2()(train_x[8:]).argmax(dim=1)
    val_x = torch.randn(6, 3, generator=generator) + 1.0
    val_y = torch.tensor([1, 0, 1, 1, 0, 0])
    return (train_x, train_y), (val_x, val_y)


def make_loader(train, val, batch_size=4):
    loaders = {"train": DataLoader(TensorDataset(*train), batch_size=batch_size),
               "val": DataLoader(TensorDataset(*val), batch_size=batch_size)}
    return lambda split: loaders[split]
