"""Can the shipped UNet learn ambient occlusion from the depth guide by itself?

Trains the UNet's layout (one output channel) to predict finish.ao of each frame's depth
guide from the log disparity and tan(fov / 2) alone, and prints the mean squared error on
every 8th training frame and on the held-out frames beside the error of predicting "no
occlusion" (1 everywhere). `--highpass` adds three box-filtered high-passes of the log
disparity (radii 2, 4, 8) as inputs. Result on the 768-pair folder (BENCHMARKS.md, "Refiner
with an occlusion guide"): 1500 steps leave the held-out error where "no occlusion" has it.
"""
import argparse, glob, json, math, os, sys, time
import numpy as np, torch, torch.nn as nn, torch.nn.functional as F
from PIL import Image
from scipy.ndimage import uniform_filter
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from finish import ao

ap = argparse.ArgumentParser()
ap.add_argument("--data", required=True); ap.add_argument("--steps", type=int, default=1500)
ap.add_argument("--highpass", action="store_true")
a = ap.parse_args()
torch.set_num_threads(2); torch.manual_seed(1); rng = np.random.default_rng(1)
man = json.load(open(f"{a.data}/manifest.json"))
fov = {s['name']: s['fov_deg'] for s in man['held_out'] + man['train']}

def load(folder, step):
    out = []
    for f in sorted(glob.glob(f"{a.data}/{folder}/*.depth.png"))[::step]:
        n = os.path.basename(f)[:-10]; g = np.asarray(Image.open(f)).astype(np.float64) / 4096
        half = math.tan(math.radians(fov[n]) / 2); target = ao(g, 64 / half)
        lg = np.log(np.maximum(g, 1 / 4096)); feats = [lg, np.full_like(g, half)]
        if a.highpass:
            feats += [np.clip((uniform_filter(lg, 2 * r + 1, mode='nearest') - lg) * 20, -3, 3) for r in (2, 4, 8)]
        out.append((np.stack(feats).astype(np.float32), target[None].astype(np.float32)))
    return out

train, held = load('train', 3), load('held-out', 1)

class Block(nn.Module):
    def __init__(s, cin, cout, g=4):
        super().__init__(); s.c1 = nn.Conv2d(cin, cout, 3, padding=1); s.n1 = nn.GroupNorm(g, cout)
        s.c2 = nn.Conv2d(cout, cout, 3, padding=1); s.n2 = nn.GroupNorm(g, cout)
    def forward(s, x): return F.silu(s.n2(s.c2(F.silu(s.n1(s.c1(x))))))

class Unet(nn.Module):
    def __init__(s, cin, ch=(12, 24, 64, 160)):
        super().__init__(); c0, c1, c2, c3 = ch; d = lambda i, o: nn.Conv2d(i, o, 3, stride=2, padding=1)
        s.e0 = Block(cin + 1, c0); s.d1 = d(c0, c1); s.e1 = Block(c1, c1); s.d2 = d(c1, c2); s.e2 = Block(c2, c2)
        s.d3 = d(c2, c3); s.m = Block(c3, c3); s.u2 = Block(c3 + c2, c2); s.u1 = Block(c2 + c1, c1)
        s.u0 = Block(c1 + c0, c0); s.o = nn.Conv2d(c0, 1, 3, padding=1)
    def forward(s, x):
        up = lambda x: F.interpolate(x, scale_factor=2.0, mode="nearest")
        lg = x[:, :1]; x = torch.cat([lg - lg.mean(dim=(2, 3), keepdim=True), x], 1)
        h0 = s.e0(x); h1 = s.e1(F.silu(s.d1(h0))); h2 = s.e2(F.silu(s.d2(h1))); h3 = s.m(F.silu(s.d3(h2)))
        u2 = s.u2(torch.cat([up(h3), h2], 1)); u1 = s.u1(torch.cat([up(u2), h1], 1))
        return 1 + s.o(s.u0(torch.cat([up(u1), h0], 1)))

m = Unet(train[0][0].shape[0]); opt = torch.optim.Adam(m.parameters(), lr=2e-3)
def score(data):
    with torch.no_grad():
        err = np.mean([((m(torch.from_numpy(x)[None])[0] - torch.from_numpy(y)) ** 2).mean().item() for x, y in data])
    return round(err, 6), round(float(np.mean([((1 - y) ** 2).mean() for _, y in data])), 6)
t0 = time.time()
for step in range(a.steps):
    xs, ys = [], []
    for _ in range(4):
        x, y = train[rng.integers(len(train))]; y0, x0 = rng.integers(0, x.shape[1] - 63, 2)
        xs.append(x[:, y0:y0 + 64, x0:x0 + 64]); ys.append(y[:, y0:y0 + 64, x0:x0 + 64])
    loss = ((m(torch.from_numpy(np.stack(xs))) - torch.from_numpy(np.stack(ys))) ** 2).mean()
    opt.zero_grad(); loss.backward(); opt.step()
    if (step + 1) % 500 == 0:
        print(json.dumps(dict(step=step + 1, train_mse_and_no_occlusion=score(train[::8]), held_out_mse_and_no_occlusion=score(held), secs=round(time.time() - t0))), flush=True)
