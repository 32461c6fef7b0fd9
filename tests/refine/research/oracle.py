import sys, json, glob, os, math
import numpy as np
from PIL import Image
sys.path.insert(0,os.path.dirname(os.path.abspath(__file__))); from finish import s2l, l2s, box, grade, finish, ao
from skimage.metrics import structural_similarity as S, peak_signal_noise_ratio as P
from scipy.ndimage import uniform_filter
data=sys.argv[1]
man=json.load(open(f"{data}/manifest.json"))
fov={s['name']:s['fov_deg'] for s in man['held_out']}
res={k:[] for k in ['cheap','fin','fin_ao','fin_blur_ao']}
for f in sorted(glob.glob(f"{data}/held-out/*.cheap.png")):
    n=os.path.basename(f)[:-10]
    c=np.asarray(Image.open(f).convert("RGB")).astype(np.float64)/255
    r=np.asarray(Image.open(f.replace('.cheap.','.reference.')).convert("RGB"))
    g=np.asarray(Image.open(f.replace('.cheap.','.depth.'))).astype(np.float64)/4096
    fpx=64/math.tan(math.radians(fov[n])/2)
    lin=s2l(c); A=ao(g,fpx)[...,None]
    for k,img in [('cheap',(c*255+0.5).astype(np.uint8)),('fin',finish(lin)),('fin_ao',finish(lin*A))]:
        res[k].append(S(r,img,channel_axis=2,data_range=255)); res.setdefault(k+"_psnr",[]).append(P(r,img,data_range=255))
for k,v in res.items():
    if v: v=np.array(v); print(k, round(np.mean(v[np.isfinite(v)]),4), int(np.sum(~np.isfinite(v))))
