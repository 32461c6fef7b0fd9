import sys, json, glob, os, math
import numpy as np
from PIL import Image
sys.path.insert(0,'/tmp'); from finish import s2l, l2s, box, grade, finish
from skimage.metrics import structural_similarity as S, peak_signal_noise_ratio as P
from scipy.ndimage import uniform_filter
data=sys.argv[1]
man=json.load(open(f"{data}/manifest.json"))
fov={s['name']:s['fov_deg'] for s in man['held_out']}
def sm(e0,e1,x):
    t=np.clip((x-e0)/(e1-e0),0,1); return t*t*(3-2*t)
def ao(g, fpx):
    # g: disparity guide; z = fpx/(128 g)
    h,w=g.shape; valid=g>1e-6; z=np.where(valid, fpx/(128*np.maximum(g,1e-6)), 0)
    d=np.where(valid, 0.05/np.maximum(z,1e-9), 0)  # reversed depth
    r=np.clip(0.4*fpx/np.maximum(z,1e-9),2,max(w//16,2))
    occ=np.zeros_like(g)
    for k in range(8):
        ang=(k+0.5)*math.pi/8
        for sc in [0.625,1.0]:
            # per-pixel radius: quantize radius into a few bins
            for rr in np.unique(np.round(r*sc)):
                ox,oy=int(round(math.cos(ang)*rr)),int(round(math.sin(ang)*rr))
                mask=(np.round(r*sc)==rr)&valid
                pa=np.zeros_like(d); pb=np.zeros_like(d)
                def sh(a,dx,dy):
                    out=np.zeros_like(a); H,W=a.shape
                    ys=slice(max(0,-dy),min(H,H-dy)); xs=slice(max(0,-dx),min(W,W-dx))
                    yd=slice(max(0,dy),min(H,H+dy)); xd=slice(max(0,dx),min(W,W+dx))
                    out[ys,xs]=a[yd,xd]; return out
                a=sh(d,ox,oy); b=sh(d,-ox,-oy)
                ok=mask&(a>1e-6)&(b>1e-6)
                za=0.05/np.maximum(a,1e-9); zb=0.05/np.maximum(b,1e-9)
                ok&=(np.abs(za-z)<=0.6)&(np.abs(zb-z)<=0.6)
                behind=z-0.05/np.maximum(0.5*(a+b),1e-9)
                occ+=np.where(ok, sm(0.01,0.15,behind),0)
    out=1-0.7*occ/16
    return uniform_filter(out,5,mode='nearest')
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
