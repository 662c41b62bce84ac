"""PyTorch 1.13 counterpart of Program.cs: the reference attention-fusion model (two stacked
single-layer LSTMs on the packed batch, torchvision ResNet-34 without fc, projection, zeroed missing
token, 2-layer post-norm Transformer, flatten, linear, sigmoid), uncertainty loss, Adam with the
reference groups. Prints "train_ms,infer_ms,peak_rss_mib,train_cpu_ms,infer_cpu_ms" for one scenario
(reference zero-image path; full-channels-last: the model and images in torch.channels_last, PyTorch's
fastest CPU setting for the ResNet). Run with /usr/bin/python3 (Debian's python3-torch, python3-torchvision)."""
import argparse, resource, time
import torch, torch.nn as nn, torchvision


class Model(nn.Module):
    def __init__(self, classes=25):
        super().__init__()
        self.layer0 = nn.LSTM(76, 256, batch_first=True)
        self.layer1 = nn.LSTM(256, 256, batch_first=True)
        self.do = nn.Dropout(0.3)
        self.cnn = torchvision.models.resnet34()
        self.cnn.fc = nn.Identity()
        self.projection = nn.Linear(512, 256)
        self.attn = nn.TransformerEncoder(nn.TransformerEncoderLayer(256, 8, 1024, batch_first=True), 2)
        self.head = nn.Linear(512, classes)

    def forward(self, x, lengths, img, pairs):
        packed = nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        out, _ = self.layer0(packed)
        _, (h, _) = self.layer1(out)
        ehr = self.do(h.squeeze(0))
        cxr = self.projection(self.cnn(img))
        cxr = cxr * pairs.unsqueeze(1)
        tokens = torch.stack([ehr, cxr], 1)
        return torch.sigmoid(self.head(self.attn(tokens).reshape(x.shape[0], -1)))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--scenario", default="full")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--steps", type=int, default=5)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--size", type=int, default=224)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    b = a.batch
    model = Model()
    log_var = nn.Parameter(torch.zeros(25))
    opt = torch.optim.Adam([{"params": model.parameters(), "betas": (0.9, 0.9)}, {"params": [log_var], "lr": 7e-4}], lr=7e-5)
    pairs = (torch.arange(b) % (1 if a.scenario.startswith("full") else 4) == 0).float()
    x, lengths = torch.randn(b, 48, 76), torch.randint(1, 49, (b,))
    img = torch.randn(b, 3, a.size, a.size) * pairs.view(b, 1, 1, 1)
    if a.scenario == "full-channels-last":
        model = model.to(memory_format=torch.channels_last)
        img = img.contiguous(memory_format=torch.channels_last)
    y = torch.rand(b, 25).round()

    def train():
        pred = model(x, lengths, img, pairs)
        per_label = nn.functional.binary_cross_entropy(pred, y, reduction="none").mean(0)
        loss = (torch.exp(-log_var) * per_label + 0.5 * log_var).mean()
        opt.zero_grad(); loss.backward(); opt.step()

    def infer():
        with torch.no_grad():
            model(x, lengths, img, pairs)

    cpu = []

    def timed(step):
        step()
        t, c = time.perf_counter(), time.process_time()
        for _ in range(a.steps):
            step()
        cpu.append((time.process_time() - c) * 1000 / a.steps)
        return (time.perf_counter() - t) * 1000 / a.steps

    model.train(); tr = timed(train)
    model.eval(); inf = timed(infer)
    print("%.1f,%.1f,%.0f,%.1f,%.1f" % (tr, inf, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, cpu[0], cpu[1]))


if __name__ == "__main__":
    main()
