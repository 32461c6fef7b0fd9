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
