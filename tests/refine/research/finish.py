import math
import numpy as np
from scipy.ndimage import uniform_filter
def s2l(c): return np.where(c<=0.04045, c/12.92, ((c+0.055)/1.055)**2.4)
def l2s(c):
    c=np.clip(c,0,1); return np.where(c<=0.0031308, c*12.92, 1.055*c**(1/2.4)-0.055)
def box(p,r): return uniform_filter(p,2*r+1,mode='nearest')
def grade(c):
    c=np.clip(c,0,1); l=0.2126*c[...,0]+0.7152*c[...,1]+0.0722*c[...,2]
    sh=(1-l)**2; hi=l*l; ts=[-0.03,0.005,0.04]; th=[0.04,0.012,-0.035]
    out=np.empty_like(c)
    for i in range(3):
        x=c[...,i]; s=x*x*(3-2*x); v=x+0.8*(s-x)+sh*ts[i]+hi*th[i]; out[...,i]=np.clip(0.03+0.96*v,0,1)
    return out
def finish(lin):
    n=lin.shape[0]; br=max(n//48,1)
    bright=np.maximum(lin-0.55,0)
    glow=np.stack([box(box(bright[...,c],br),br) for c in range(3)],-1)
    disp=l2s(lin+0.4*glow)
    soft=np.stack([box(disp[...,c],2) for c in range(3)],-1)
    px=disp+0.7*(disp-soft)
    return (grade(px)*255+0.5).astype(np.uint8)

# Ambient occlusion from the cheap frame's depth guide (disparity g = fpx / (128 z)):
# numpy approximation of showrunner_refine::occlusion (radii quantised, no per-pixel turn).
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
