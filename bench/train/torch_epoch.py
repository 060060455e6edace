"""torch_epoch.py — the reference side of bench/train: one epoch of the same CNN as
examples/fashion/arch.json on tinyforge's own Fashion-MNIST training split, in PyTorch
(Debian's python3-torch, CPU), with the same batch size, optimizer and thread count.
Prints one JSON line: samples/s and seconds.

usage: python3 torch_epoch.py TRAIN_BIN THREADS BATCH
"""
import json
import struct
import sys
import time

import torch


def read_split(path):
    with open(path, "rb") as f:
        data = f.read()
    assert data[:8] == b"TFGSPLIT"
    _, rows, feats, rank, h, w, c, kind, ncls, hdr = struct.unpack_from("<10I", data, 8)
    x = torch.frombuffer(bytearray(data[64:64 + 4 * rows * feats]), dtype=torch.float32)
    y = torch.frombuffer(bytearray(data[64 + 4 * rows * feats:]), dtype=torch.int32)
    # tinyforge is NHWC; PyTorch convolutions want NCHW.
    return x.reshape(rows, h, w, c).permute(0, 3, 1, 2).contiguous(), y.long()


def main():
    path, threads, batch = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    torch.set_num_threads(threads)
    torch.manual_seed(42)
    x, y = read_split(path)
    net = torch.nn.Sequential(
        torch.nn.Conv2d(1, 16, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(16, 32, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Flatten(), torch.nn.Linear(7 * 7 * 32, 32), torch.nn.ReLU(),
        torch.nn.Linear(32, 10))
    opt = torch.optim.Adam(net.parameters(), lr=0.002)
    loss_fn = torch.nn.CrossEntropyLoss()
    order = torch.randperm(len(y))
    start = time.perf_counter()
    for i in range(0, len(y), batch):
        idx = order[i:i + batch]
        opt.zero_grad()
        loss = loss_fn(net(x[idx]), y[idx])
        loss.backward()
        opt.step()
    secs = time.perf_counter() - start
    print(json.dumps({"samples_per_s": len(y) / secs, "seconds": secs, "rows": len(y)}))


main()
