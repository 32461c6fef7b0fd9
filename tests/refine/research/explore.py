import sys, json, time, math, argparse, glob, os
import numpy as np, torch, torch.nn as nn, torch.nn.functional as F
from PIL import Image
from skimage.metrics import structural_similarity as ssim_sk, peak_signal_noise_ratio as psnr_sk
torch.set_num_threads(2)
ap = argparse.ArgumentParser()
ap.add_argument("--data", default="/tmp/rd6"); ap.add_argument("--steps", type=int, default=2000)
ap.add_argument("--batch", type=int, default=4); ap.add_argument("--crop", type=int, default=64)
ap.add_argument("--lr", type=float, default=2e-3); ap.add_argument("--ssim", type=float, default=0.0)
ap.add_argument("--grad", type=float, default=0.1); ap.add_argument("--mse", type=float, default=1.0)
ap.add_argument("--l1", type=float, default=0.0)
ap.add_argument("--ch", default="12,24,64,160"); ap.add_argument("--seed", type=int, default=7)
ap.add_argument("--tmax", type=float, default=0.3); ap.add_argument("--pref", type=float, default=0.25)
ap.add_argument("--strength", type=float, default=0.1); ap.add_argument("--save", default="")
ap.add_argument("--tail", type=int, default=0); ap.add_argument("--dscale", type=float, default=1.0); ap.add_argument("--groups", type=int, default=4); ap.add_argument("--depth", action="store_true")
ap.add_argument("--occlusion", action="store_true", help="add the occlusion guide (finish.ao of the depth guide) as an input, as shipped")
ap.add_argument("--fov", action="store_true", help="add tan(fov/2) as a constant input channel")
a = ap.parse_args()
torch.manual_seed(a.seed); rng = np.random.default_rng(a.seed)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__))); from finish import ao
FOV = {x['name']: x['fov_deg'] for m in [json.load(open(f"{a.data}/manifest.json"))] for x in m['train'] + m['held_out']}
def load(folder):
    out=[]
    for f in sorted(glob.glob(f"{a.data}/{folder}/*.cheap.png")):
        c=np.asarray(Image.open(f).convert("RGB")).astype(np.float32)/255
        r=np.asarray(Image.open(f.replace(".cheap.",".reference.")).convert("RGB")).astype(np.float32)/255
        c=c.transpose(2,0,1)
        if a.depth:
            d=np.asarray(Image.open(f.replace(".cheap.",".depth.")).convert("I;16") if False else Image.open(f.replace(".cheap.",".depth."))).astype(np.float32)/4096*a.dscale
            c=np.concatenate([c,d[None]],0)
        half=math.tan(math.radians(FOV[os.path.basename(f)[:-10]])/2)
        if a.occlusion:
            g=np.asarray(Image.open(f.replace(".cheap.",".depth."))).astype(np.float64)/4096
            c=np.concatenate([c,ao(g,64/half)[None].astype(np.float32)],0)
        if a.fov:
            c=np.concatenate([c,np.full((1,)+c.shape[1:],half,np.float32)],0)
        out.append((os.path.basename(f)[:-10], c.copy(), r.transpose(2,0,1).copy()))
    return out
train, held = load("train"), load("held-out")
print(len(train), len(held), flush=True)
class Block(nn.Module):
    def __init__(s, cin, cout, g):
        super().__init__(); s.conv1=nn.Conv2d(cin,cout,3,padding=1); s.norm1=nn.GroupNorm(g,cout)
        s.conv2=nn.Conv2d(cout,cout,3,padding=1); s.norm2=nn.GroupNorm(g,cout)
    def forward(s,x): return F.silu(s.norm2(s.conv2(F.silu(s.norm1(s.conv1(x))))))
class Unet(nn.Module):
    def __init__(s, ch, g, cin=7):
        super().__init__(); c0,c1,c2,c3=ch; d=lambda i,o: nn.Conv2d(i,o,3,stride=2,padding=1)
        s.enc0=Block(cin,c0,g); s.down1=d(c0,c1); s.enc1=Block(c1,c1,g); s.down2=d(c1,c2); s.enc2=Block(c2,c2,g)
        s.down3=d(c2,c3); s.mid=Block(c3,c3,g); s.dec2=Block(c3+c2,c2,g); s.dec1=Block(c2+c1,c1,g); s.dec0=Block(c1+c0,c0,g)
        s.out=nn.Conv2d(c0,3,3,padding=1)
        s.tail=a.tail
        if a.tail:
            s.t1=nn.Conv2d(c0+cin-4,a.tail,3,padding=1); s.t2=nn.Conv2d(a.tail,3,1)
    def forward(s,xt,cheap,t):
        n,_,h,w=cheap.shape; tm=torch.full((n,1,h,w),t); up=lambda x: F.interpolate(x,scale_factor=2.0,mode="nearest")
        h0=s.enc0(torch.cat([xt,cheap,tm],1)); h1=s.enc1(F.silu(s.down1(h0))); h2=s.enc2(F.silu(s.down2(h1)))
        h3=s.mid(F.silu(s.down3(h2))); u2=s.dec2(torch.cat([up(h3),h2],1)); u1=s.dec1(torch.cat([up(u2),h1],1)); u0=s.dec0(torch.cat([up(u1),h0],1))
        o=cheap[:,:3]+s.out(u0)
        if s.tail: o=o+s.t2(F.silu(s.t1(torch.cat([u0,cheap],1))))
        return o
ch=[int(x) for x in a.ch.split(",")]
m=Unet(ch,a.groups,7+a.depth+a.occlusion+a.fov)
def flops(ch,size=128):
    c0,c1,c2,c3=ch; px=lambda l:(size/2**l)**2; conv=lambda i,o,l:i*o*9*px(l); blk=lambda i,o,l:conv(i,o,l)+conv(o,o,l)
    return 2*(blk(7,c0,0)+conv(c0,c1,1)+blk(c1,c1,1)+conv(c1,c2,2)+blk(c2,c2,2)+conv(c2,c3,3)+blk(c3,c3,3)+blk(c3+c2,c2,2)+blk(c2+c1,c1,1)+blk(c1+c0,c0,0)+conv(c0,3,0))/1e9
print("params", sum(p.numel() for p in m.parameters()), "gflop128", round(flops(ch),3), flush=True)
def ab(t): return math.cos(t*math.pi/2)**2
def box7(t): return F.avg_pool2d(t,7,stride=1)
def ssim_t(x,y):
    c1,c2=0.01**2,0.03**2; nrm=49/48; mx,my=box7(x),box7(y)
    vx=(box7(x*x)-mx*mx)*nrm; vy=(box7(y*y)-my*my)*nrm; vxy=(box7(x*y)-mx*my)*nrm
    return (((2*mx*my+c1)*(2*vxy+c2))/((mx*mx+my*my+c1)*(vx+vy+c2))).mean()
def gl1(p,r):
    dx=lambda t:t[...,:,1:]-t[...,:,:-1]; dy=lambda t:t[...,1:,:]-t[...,:-1,:]
    return (dx(p)-dx(r)).abs().mean()+(dy(p)-dy(r)).abs().mean()
opt=torch.optim.Adam(m.parameters(),lr=a.lr,eps=1e-8)
lrmin=a.lr/20
t0=time.time(); losses=[]
for step in range(a.steps):
    lr=lrmin+0.5*(a.lr-lrmin)*(1+math.cos(math.pi*step/a.steps))
    for g in opt.param_groups: g["lr"]=lr
    cs,rs=[],[]
    for _ in range(a.batch):
        _,c,r=train[rng.integers(len(train))]; H,W=c.shape[1:]; x0=rng.integers(0,W-a.crop+1); y0=rng.integers(0,H-a.crop+1)
        cc=c[:,y0:y0+a.crop,x0:x0+a.crop]; rr=r[:,y0:y0+a.crop,x0:x0+a.crop]
        if rng.random()<0.5: cc=cc[:,:,::-1]; rr=rr[:,:,::-1]
        cs.append(cc.copy()); rs.append(rr.copy())
    cheap=torch.from_numpy(np.stack(cs)); ref=torch.from_numpy(np.stack(rs))
    t=rng.uniform(0.02,a.tmax); start=ref if rng.random()<a.pref else cheap[:,:3]
    A=ab(t); xt=start*math.sqrt(A)+torch.randn_like(ref)*math.sqrt(1-A)
    p=m(xt,cheap,t)
    loss=a.mse*((p-ref)**2).mean()+a.grad*gl1(p,ref)+a.l1*(p-ref).abs().mean()
    if a.ssim>0: loss=loss+a.ssim*(1-ssim_t(p,ref))
    opt.zero_grad(); loss.backward(); opt.step(); losses.append(loss.item())
    if (step+1)%500==0: print(step+1, round(np.mean(losses[-500:]),5), round(time.time()-t0,1),"s", flush=True)
m.eval()
def evaluate(strength, seed=1, frames=None):
    g=torch.Generator().manual_seed(seed); ps=[];ss=[];pc=[];sc=[]
    with torch.no_grad():
        for name,c,r in (frames or held):
            cheap=torch.from_numpy(c)[None]; A=ab(strength)
            xt=cheap[:,:3]*math.sqrt(A)+torch.randn(cheap[:,:3].shape,generator=g)*math.sqrt(1-A)
            out=m(xt,cheap,strength).clamp(0,1)[0].numpy()
            q=lambda v:(np.clip(v,0,1)*255+0.5).astype(np.uint8).transpose(1,2,0)
            R,C,O=q(r),q(c[:3]),q(out)
            ps.append(psnr_sk(R,O,data_range=255)); pc.append(psnr_sk(R,C,data_range=255))
            ss.append(ssim_sk(R,O,channel_axis=2,data_range=255)); sc.append(ssim_sk(R,C,channel_axis=2,data_range=255))
    return np.mean(pc),np.mean(ps),np.mean(sc),np.mean(ss)
for s in [a.strength]:
    tr=evaluate(s,frames=train[::8])
    pc,ps,sc,ss=evaluate(s)
    print(json.dumps(dict(args=vars(a),strength=s,psnr_cheap=round(pc,3),psnr=round(ps,3),dpsnr=round(ps-pc,3),ssim_cheap=round(sc,4),ssim=round(ss,4),dssim=round(ss-sc,4),train_dpsnr=round(tr[1]-tr[0],3),train_dssim=round(tr[3]-tr[2],4),secs=round(time.time()-t0))), flush=True)
if a.save: torch.save(m.state_dict(), a.save)
