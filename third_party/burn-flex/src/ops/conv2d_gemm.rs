//! 2D convolution and both of its gradients as one matrix product per image tile, on
//! channel-major (NCHW) im2col columns. (Showrunner's fork: see FORK.md.)
//!
//! For a group with `K = c_in/groups · kh · kw` column rows and a tile of `n` output pixels:
//! - forward: `y[c_out, n] = w[c_out, K] · cols[K, n]`, written straight into the NCHW output;
//! - weight gradient: `dw[c_out, K] += dy[c_out, n] · cols[K, n]ᵀ`, summed over the batch;
//! - input gradient: `dcols[K, n] = w[c_out, K]ᵀ · dy[c_out, n]`, then scattered back (col2im).
//!
//! Each column row is a shifted copy of one input row, so im2col and col2im are slice copies and
//! additions. burn's defaults compute the weight gradient as a convolution with the batch as
//! channels (one product per input channel with `n = kh · kw`) and the input gradient as a
//! transposed convolution; both were most of a small UNet's training step on two cores.

use alloc::vec;
use alloc::vec::Vec;
use burn_backend::DType;
use burn_backend::ops::ConvOptions;
use burn_std::{Bytes, Shape, f16};

use crate::{FlexTensor, Layout};

/// Most elements one tile's columns may hold (16 MiB of f32): tiles are whole output rows.
const COLUMN_ELEMENTS: usize = 4 << 20;
/// Fewest output pixels a tile is cut to when cutting for parallelism.
const MIN_TILE_PIXELS: usize = 256;

/// Where one convolution reads and writes, in elements.
#[derive(Clone, Copy, Debug)]
struct Geometry {
    batch: usize,
    c_in: usize,
    h: usize,
    w: usize,
    c_out: usize,
    groups: usize,
    kh: usize,
    kw: usize,
    stride: [usize; 2],
    pad: [usize; 2],
    dilation: [usize; 2],
    oh: usize,
    ow: usize,
}

impl Geometry {
    fn new(x: &[usize], w: &[usize], oh: usize, ow: usize, options: &ConvOptions<2>) -> Self {
        Self {
            batch: x[0],
            c_in: x[1],
            h: x[2],
            w: x[3],
            c_out: w[0],
            groups: options.groups,
            kh: w[2],
            kw: w[3],
            stride: options.stride,
            pad: options.padding_begin(),
            dilation: options.dilation,
            oh,
            ow,
        }
    }

    /// Input channels per group.
    fn cpg(&self) -> usize {
        self.c_in / self.groups
    }

    /// Output channels per group.
    fn opg(&self) -> usize {
        self.c_out / self.groups
    }

    /// Column rows per group: (input channel, ky, kx), the weight's own order.
    fn k(&self) -> usize {
        self.cpg() * self.kh * self.kw
    }

    fn in_plane(&self) -> usize {
        self.h * self.w
    }

    fn out_plane(&self) -> usize {
        self.oh * self.ow
    }

    /// Output rows per tile: as many as fit the column limit, cut further until the batch
    /// makes about four tiles per thread, but no smaller than [`MIN_TILE_PIXELS`].
    fn tile_rows(&self, threads: usize) -> usize {
        let fit = (COLUMN_ELEMENTS / (self.k() * self.ow).max(1)).max(1);
        let tiles_per_image = (4 * threads).div_ceil(self.batch.max(1)).max(1);
        let for_threads = self.oh.div_ceil(tiles_per_image);
        let floor = MIN_TILE_PIXELS.div_ceil(self.ow.max(1));
        for_threads.max(floor).min(fit).clamp(1, self.oh.max(1))
    }

    /// Output columns `[lo, hi)` whose input column `ox·stride + kx·dilation − pad` is inside
    /// the image (likewise for rows with `h`).
    fn valid(&self, axis: usize, k: usize) -> (usize, usize) {
        let (size, out) = if axis == 0 {
            (self.h, self.oh)
        } else {
            (self.w, self.ow)
        };
        let (s, p, off) = (self.stride[axis], self.pad[axis], k * self.dilation[axis]);
        let lo = if off >= p { 0 } else { (p - off).div_ceil(s) };
        let hi = if size + p > off {
            (size + p - off).div_ceil(s).min(out)
        } else {
            0
        };
        (lo.min(hi), hi)
    }

    /// Input index along `axis` of output index `o` and kernel index `k` (inside `valid`).
    fn input(&self, axis: usize, o: usize, k: usize) -> usize {
        o * self.stride[axis] + k * self.dilation[axis] - self.pad[axis]
    }
}

/// The element types the products run in (bf16 runs in f32).
pub(crate) trait Real:
    burn_backend::Element + bytemuck::Pod + Send + Sync + core::ops::Add<Output = Self> + 'static
{
    const ZERO: Self;
    const ONE: Self;
    const DTYPE: DType;
}

impl Real for f32 {
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
    const DTYPE: DType = DType::F32;
}

impl Real for f64 {
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
    const DTYPE: DType = DType::F64;
}

impl Real for f16 {
    const ZERO: Self = f16::ZERO;
    const ONE: Self = f16::ONE;
    const DTYPE: DType = DType::F16;
}

/// A matrix inside a buffer: element `(i, j)` at `start + i·row + j·col`.
#[derive(Clone, Copy)]
struct Strided {
    start: usize,
    row: usize,
    col: usize,
}

/// A mutable buffer shared by tasks that each write their own elements only.
struct Shared<T>(*mut T, usize);

// SAFETY: `Shared` only hands out the pointer to `gemm_into`, whose callers write disjoint
// elements (each task its own tile rows or its own image); the buffer outlives the tasks.
unsafe impl<T: Send> Send for Shared<T> {}
// SAFETY: as above.
unsafe impl<T: Send> Sync for Shared<T> {}

/// `dst[m, n] = (dst if accumulate) + lhs[m, k] · rhs[k, n]`, each operand a [`Strided`] view
/// of its buffer, checked to lie inside it.
#[allow(clippy::too_many_arguments)]
fn gemm_into<T: Real>(
    (m, n, k): (usize, usize, usize),
    dst: &Shared<T>,
    d: Strided,
    accumulate: bool,
    lhs: &[T],
    l: Strided,
    rhs: &[T],
    r: Strided,
    parallel: bool,
) {
    let last = |s: Strided, rows: usize, cols: usize| {
        s.start + rows.saturating_sub(1) * s.row + cols.saturating_sub(1) * s.col
    };
    if m == 0 || n == 0 {
        return;
    }
    assert!(
        last(d, m, n) < dst.1,
        "conv2d gemm: output view out of bounds"
    );
    if k > 0 {
        assert!(
            last(l, m, k) < lhs.len(),
            "conv2d gemm: lhs view out of bounds"
        );
        assert!(
            last(r, k, n) < rhs.len(),
            "conv2d gemm: rhs view out of bounds"
        );
    }
    #[cfg(feature = "rayon")]
    let parallelism = if parallel && m * n * k >= 64 * 64 * 64 {
        gemm::Parallelism::Rayon(0)
    } else {
        gemm::Parallelism::None
    };
    #[cfg(not(feature = "rayon"))]
    let parallelism = {
        let _ = parallel;
        gemm::Parallelism::None
    };
    let i = |v: usize| v as isize;
    // SAFETY: the three views were checked above to lie inside their buffers; `dst` is
    // written only where this task owns it (see `Shared`), and the operands are not written.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.0.add(d.start),
            i(d.col),
            i(d.row),
            accumulate,
            lhs.as_ptr().add(l.start),
            i(l.col),
            i(l.row),
            rhs.as_ptr().add(r.start),
            i(r.col),
            i(r.row),
            T::ONE,
            T::ONE,
            false,
            false,
            false,
            parallelism,
        );
    }
}

/// Columns of image `b`, group `g`, output rows `rows`: `cols[K, rows·ow]`.
fn im2col<T: Real>(
    x: &[T],
    geo: &Geometry,
    b: usize,
    g: usize,
    rows: (usize, usize),
    cols: &mut [T],
) {
    let n = (rows.1 - rows.0) * geo.ow;
    let (kh, kw) = (geo.kh, geo.kw);
    for (r, dst) in cols.chunks_mut(n).take(geo.k()).enumerate() {
        let (ci, ky, kx) = (r / (kh * kw), (r / kw) % kh, r % kw);
        let plane = (b * geo.c_in + g * geo.cpg() + ci) * geo.in_plane();
        let plane = &x[plane..plane + geo.in_plane()];
        let (y_lo, y_hi) = geo.valid(0, ky);
        let (x_lo, x_hi) = geo.valid(1, kx);
        for (t, oy) in (rows.0..rows.1).enumerate() {
            let seg = &mut dst[t * geo.ow..(t + 1) * geo.ow];
            if oy < y_lo || oy >= y_hi || x_lo >= x_hi {
                seg.fill(T::ZERO);
                continue;
            }
            let row = &plane[geo.input(0, oy, ky) * geo.w..][..geo.w];
            seg[..x_lo].fill(T::ZERO);
            seg[x_hi..].fill(T::ZERO);
            let ix = geo.input(1, x_lo, kx);
            if geo.stride[1] == 1 {
                seg[x_lo..x_hi].copy_from_slice(&row[ix..ix + (x_hi - x_lo)]);
            } else {
                let s = geo.stride[1];
                for (o, v) in seg[x_lo..x_hi].iter_mut().enumerate() {
                    *v = row[ix + o * s];
                }
            }
        }
    }
}

/// Adds `dcols[K, oh·ow]` of image `b`, group `g` back onto its input planes, whose
/// `cpg · h · w` elements `dx` holds.
fn col2im<T: Real>(dcols: &[T], geo: &Geometry, dx: &mut [T], parallel: bool) {
    let taps = geo.kh * geo.kw;
    let n = geo.out_plane();
    let one = |(ci, plane): (usize, &mut [T])| {
        for tap in 0..taps {
            let (ky, kx) = (tap / geo.kw, tap % geo.kw);
            let src = &dcols[(ci * taps + tap) * n..][..n];
            let (y_lo, y_hi) = geo.valid(0, ky);
            let (x_lo, x_hi) = geo.valid(1, kx);
            if x_lo >= x_hi {
                continue;
            }
            let ix = geo.input(1, x_lo, kx);
            for oy in y_lo..y_hi {
                let row = &mut plane[geo.input(0, oy, ky) * geo.w..][..geo.w];
                let from = &src[oy * geo.ow + x_lo..oy * geo.ow + x_hi];
                if geo.stride[1] == 1 {
                    for (d, &v) in row[ix..ix + from.len()].iter_mut().zip(from) {
                        *d = *d + v;
                    }
                } else {
                    let s = geo.stride[1];
                    for (o, &v) in from.iter().enumerate() {
                        row[ix + o * s] = row[ix + o * s] + v;
                    }
                }
            }
        }
    };
    #[cfg(feature = "rayon")]
    if parallel && dx.len() >= super::PARALLEL_THRESHOLD / 4 {
        use rayon::prelude::*;
        dx.par_chunks_mut(geo.in_plane()).enumerate().for_each(one);
        return;
    }
    let _ = parallel;
    dx.chunks_mut(geo.in_plane()).enumerate().for_each(one);
}

/// Runs `f` on `0..count`, in parallel where rayon is on.
fn for_each<F: Fn(usize) + Send + Sync>(count: usize, f: F) {
    #[cfg(feature = "rayon")]
    {
        use rayon::prelude::*;
        (0..count).into_par_iter().for_each(f);
    }
    #[cfg(not(feature = "rayon"))]
    (0..count).for_each(f);
}

fn threads() -> usize {
    #[cfg(feature = "rayon")]
    return rayon::current_num_threads();
    #[cfg(not(feature = "rayon"))]
    1
}

/// `(b, first row, last row)` of every tile.
fn tiles(geo: &Geometry) -> Vec<(usize, usize, usize)> {
    let rows = geo.tile_rows(threads());
    (0..geo.batch)
        .flat_map(|b| {
            (0..geo.oh)
                .step_by(rows)
                .map(move |r| (b, r, (r + rows).min(geo.oh)))
        })
        .collect()
}

fn output_size(input: usize, k: usize, s: usize, p: (usize, usize), d: usize) -> usize {
    let span = d * (k.max(1) - 1) + 1;
    match (input + p.0 + p.1).checked_sub(span) {
        Some(room) => room / s + 1,
        None => 0,
    }
}

fn typed<T: Real>(t: FlexTensor) -> FlexTensor {
    let t = t.to_contiguous();
    assert_eq!(t.dtype(), T::DTYPE, "conv2d gemm: mixed dtypes");
    t
}

fn tensor<T: Real>(data: Vec<T>, shape: Vec<usize>) -> FlexTensor {
    FlexTensor::new(
        Bytes::from_elems(data),
        Layout::contiguous(Shape::from(shape)),
        T::DTYPE,
    )
}

/// The forward convolution (any padding, stride, dilation and groups).
pub(crate) fn conv2d<T: Real>(
    x: FlexTensor,
    weight: FlexTensor,
    bias: Option<FlexTensor>,
    options: &ConvOptions<2>,
) -> FlexTensor {
    let (x, weight) = (typed::<T>(x), typed::<T>(weight));
    let (xs, ws) = (
        x.layout().shape().to_vec(),
        weight.layout().shape().to_vec(),
    );
    let oh = output_size(
        xs[2],
        ws[2],
        options.stride[0],
        options.padding[0],
        options.dilation[0],
    );
    let ow = output_size(
        xs[3],
        ws[3],
        options.stride[1],
        options.padding[1],
        options.dilation[1],
    );
    let geo = Geometry::new(&xs, &ws, oh, ow, options);
    let (x_data, w_data): (&[T], &[T]) = (x.storage(), weight.storage());
    let mut out = vec![T::ZERO; geo.batch * geo.c_out * geo.out_plane()];
    let bias = bias.map(typed::<T>);
    let bias: Option<&[T]> = bias.as_ref().map(|b| b.storage());
    if geo.k() > 0 && geo.out_plane() > 0 {
        let len = out.len();
        let dst = Shared(out.as_mut_ptr(), len);
        let tiles = tiles(&geo);
        for_each(tiles.len(), |i| {
            let (b, r0, r1) = tiles[i];
            let n = (r1 - r0) * geo.ow;
            let mut cols = vec![T::ZERO; geo.k() * n];
            for g in 0..geo.groups {
                im2col(x_data, &geo, b, g, (r0, r1), &mut cols);
                gemm_into(
                    (geo.opg(), n, geo.k()),
                    &dst,
                    Strided {
                        start: (b * geo.c_out + g * geo.opg()) * geo.out_plane() + r0 * geo.ow,
                        row: geo.out_plane(),
                        col: 1,
                    },
                    false,
                    w_data,
                    Strided {
                        start: g * geo.opg() * geo.k(),
                        row: geo.k(),
                        col: 1,
                    },
                    &cols,
                    Strided {
                        start: 0,
                        row: n,
                        col: 1,
                    },
                    false,
                );
            }
        });
    }
    if let Some(bias) = bias {
        for (i, plane) in out.chunks_mut(geo.out_plane().max(1)).enumerate() {
            let v = bias[i % geo.c_out];
            plane.iter_mut().for_each(|p| *p = *p + v);
        }
    }
    tensor(out, vec![geo.batch, geo.c_out, oh, ow])
}

/// The gradient of the weight, `[c_out, c_in/groups, kh, kw]`.
pub(crate) fn weight_backward<T: Real>(
    x: FlexTensor,
    weight_shape: &[usize],
    output_grad: FlexTensor,
    options: &ConvOptions<2>,
) -> FlexTensor {
    let (x, dy) = (typed::<T>(x), typed::<T>(output_grad));
    let (xs, ds) = (x.layout().shape().to_vec(), dy.layout().shape().to_vec());
    let geo = Geometry::new(&xs, weight_shape, ds[2], ds[3], options);
    let (x_data, dy_data): (&[T], &[T]) = (x.storage(), dy.storage());
    let size = geo.c_out * geo.k();
    let tiles = tiles(&geo);
    let partial = |acc: &mut Vec<T>, cols: &mut Vec<T>, (b, r0, r1): (usize, usize, usize)| {
        let n = (r1 - r0) * geo.ow;
        cols.resize(geo.k() * n, T::ZERO);
        let dst = Shared(acc.as_mut_ptr(), acc.len());
        for g in 0..geo.groups {
            im2col(x_data, &geo, b, g, (r0, r1), cols);
            gemm_into(
                (geo.opg(), geo.k(), n),
                &dst,
                Strided {
                    start: g * geo.opg() * geo.k(),
                    row: geo.k(),
                    col: 1,
                },
                true,
                dy_data,
                Strided {
                    start: (b * geo.c_out + g * geo.opg()) * geo.out_plane() + r0 * geo.ow,
                    row: geo.out_plane(),
                    col: 1,
                },
                cols,
                Strided {
                    start: 0,
                    row: 1,
                    col: n,
                },
                false,
            );
        }
    };
    let add = |mut a: Vec<T>, b: Vec<T>| {
        a.iter_mut().zip(b).for_each(|(a, b)| *a = *a + b);
        a
    };
    let dw = if geo.k() == 0 || geo.out_plane() == 0 {
        vec![T::ZERO; size]
    } else {
        #[cfg(feature = "rayon")]
        {
            use rayon::prelude::*;
            tiles
                .par_iter()
                .fold(
                    || (vec![T::ZERO; size], Vec::new()),
                    |(mut acc, mut cols), &tile| {
                        partial(&mut acc, &mut cols, tile);
                        (acc, cols)
                    },
                )
                .map(|(acc, _)| acc)
                .reduce(|| vec![T::ZERO; size], add)
        }
        #[cfg(not(feature = "rayon"))]
        {
            let (mut acc, mut cols) = (vec![T::ZERO; size], Vec::new());
            tiles
                .iter()
                .for_each(|&tile| partial(&mut acc, &mut cols, tile));
            let _ = add;
            acc
        }
    };
    tensor(dw, weight_shape.to_vec())
}

/// The gradient of the input, shaped as `x` is.
pub(crate) fn x_backward<T: Real>(
    x_shape: &[usize],
    weight: FlexTensor,
    output_grad: FlexTensor,
    options: &ConvOptions<2>,
) -> FlexTensor {
    let (w, dy) = (typed::<T>(weight), typed::<T>(output_grad));
    let (ws, ds) = (w.layout().shape().to_vec(), dy.layout().shape().to_vec());
    let geo = Geometry::new(x_shape, &ws, ds[2], ds[3], options);
    let (w_data, dy_data): (&[T], &[T]) = (w.storage(), dy.storage());
    let mut dx = vec![T::ZERO; geo.batch * geo.c_in * geo.in_plane()];
    let group_len = geo.cpg() * geo.in_plane();
    if geo.k() == 0 || geo.out_plane() == 0 || group_len == 0 {
        return tensor(dx, x_shape.to_vec());
    }
    // Images in parallel when there are enough of them; otherwise one at a time, with the
    // product and the scatter each in parallel.
    let by_image = geo.batch >= threads();
    let image = |b: usize, dx_b: &mut [T]| {
        let n = geo.out_plane();
        let mut dcols = vec![T::ZERO; geo.k() * n];
        let dst = Shared(dcols.as_mut_ptr(), dcols.len());
        for (g, dx_g) in dx_b.chunks_mut(group_len).enumerate() {
            gemm_into(
                (geo.k(), n, geo.opg()),
                &dst,
                Strided {
                    start: 0,
                    row: n,
                    col: 1,
                },
                false,
                w_data,
                Strided {
                    start: g * geo.opg() * geo.k(),
                    row: 1,
                    col: geo.k(),
                },
                dy_data,
                Strided {
                    start: (b * geo.c_out + g * geo.opg()) * n,
                    row: n,
                    col: 1,
                },
                !by_image,
            );
            col2im(&dcols, &geo, dx_g, !by_image);
        }
    };
    let image_len = geo.c_in * geo.in_plane();
    #[cfg(feature = "rayon")]
    if by_image {
        use rayon::prelude::*;
        dx.par_chunks_mut(image_len)
            .enumerate()
            .for_each(|(b, dx_b)| image(b, dx_b));
        return tensor(dx, x_shape.to_vec());
    }
    dx.chunks_mut(image_len)
        .enumerate()
        .for_each(|(b, dx_b)| image(b, dx_b));
    tensor(dx, x_shape.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn_backend::TensorData;

    /// A small deterministic pseudo-random sequence in [-1, 1).
    fn values(n: usize, seed: u64) -> Vec<f64> {
        let mut s = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (0..n)
            .map(|_| {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                ((s >> 33) as f64 / (1u64 << 31) as f64) - 1.0
            })
            .collect()
    }

    struct Case {
        b: usize,
        c_in: usize,
        h: usize,
        w: usize,
        c_out: usize,
        k: (usize, usize),
        options: ConvOptions<2>,
    }

    /// Forward, weight gradient and input gradient by their definitions, in f64.
    fn naive(c: &Case, x: &[f64], w: &[f64], dy: &[f64]) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
        let o = &c.options;
        let oh = output_size(c.h, c.k.0, o.stride[0], o.padding[0], o.dilation[0]);
        let ow = output_size(c.w, c.k.1, o.stride[1], o.padding[1], o.dilation[1]);
        let (cpg, opg) = (c.c_in / o.groups, c.c_out / o.groups);
        let mut y = vec![0.0; c.b * c.c_out * oh * ow];
        let mut dw = vec![0.0; w.len()];
        let mut dx = vec![0.0; x.len()];
        for b in 0..c.b {
            for co in 0..c.c_out {
                let g = co / opg;
                for oy in 0..oh {
                    for ox in 0..ow {
                        let yi = ((b * c.c_out + co) * oh + oy) * ow + ox;
                        for ci in 0..cpg {
                            for ky in 0..c.k.0 {
                                for kx in 0..c.k.1 {
                                    let iy = (oy * o.stride[0] + ky * o.dilation[0]) as isize
                                        - o.padding[0].0 as isize;
                                    let ix = (ox * o.stride[1] + kx * o.dilation[1]) as isize
                                        - o.padding[1].0 as isize;
                                    if iy < 0 || ix < 0 || iy >= c.h as isize || ix >= c.w as isize
                                    {
                                        continue;
                                    }
                                    let xi = ((b * c.c_in + g * cpg + ci) * c.h + iy as usize)
                                        * c.w
                                        + ix as usize;
                                    let wi = ((co * cpg + ci) * c.k.0 + ky) * c.k.1 + kx;
                                    y[yi] += x[xi] * w[wi];
                                    dw[wi] += dy[yi] * x[xi];
                                    dx[xi] += dy[yi] * w[wi];
                                }
                            }
                        }
                    }
                }
            }
        }
        (y, dw, dx)
    }

    fn flex(data: &[f64], shape: Vec<usize>) -> FlexTensor {
        let v: Vec<f32> = data.iter().map(|&v| v as f32).collect();
        FlexTensor::from_data(TensorData::new(v, shape))
    }

    fn close(name: &str, got: FlexTensor, want: &[f64]) {
        let got: Vec<f32> = got.into_data().try_to_vec().unwrap();
        assert_eq!(got.len(), want.len(), "{name}: length");
        let scale = want.iter().fold(1.0f64, |m, v| m.max(v.abs()));
        for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
            assert!(
                (g as f64 - w).abs() <= 1e-5 * scale,
                "{name}[{i}]: got {g}, want {w}"
            );
        }
    }

    fn check(c: Case) {
        let o = &c.options;
        let oh = output_size(c.h, c.k.0, o.stride[0], o.padding[0], o.dilation[0]);
        let ow = output_size(c.w, c.k.1, o.stride[1], o.padding[1], o.dilation[1]);
        let xs = vec![c.b, c.c_in, c.h, c.w];
        let ws = vec![c.c_out, c.c_in / o.groups, c.k.0, c.k.1];
        let ds = vec![c.b, c.c_out, oh, ow];
        let x = values(xs.iter().product(), 1);
        let w = values(ws.iter().product(), 2);
        let dy = values(ds.iter().product(), 3);
        let bias = values(c.c_out, 4);
        let (mut y, dw, dx) = naive(&c, &x, &w, &dy);
        for (i, v) in y.iter_mut().enumerate() {
            *v += bias[(i / (oh * ow)) % c.c_out];
        }
        let got = conv2d::<f32>(
            flex(&x, xs.clone()),
            flex(&w, ws.clone()),
            Some(flex(&bias, vec![c.c_out])),
            o,
        );
        assert_eq!(got.layout().shape().to_vec(), ds, "forward shape");
        close("forward", got, &y);
        close(
            "weight gradient",
            weight_backward::<f32>(flex(&x, xs.clone()), &ws, flex(&dy, ds.clone()), o),
            &dw,
        );
        close(
            "input gradient",
            x_backward::<f32>(&xs, flex(&w, ws), flex(&dy, ds), o),
            &dx,
        );
    }

    fn opts(
        stride: [usize; 2],
        pad: [(usize, usize); 2],
        dil: [usize; 2],
        g: usize,
    ) -> ConvOptions<2> {
        ConvOptions::new_with_padding(stride, pad, dil, g)
    }

    #[test]
    fn a_unet_layer_and_its_gradients_match_the_definition() {
        check(Case {
            b: 4,
            c_in: 12,
            h: 16,
            w: 16,
            c_out: 12,
            k: (3, 3),
            options: opts([1, 1], [(1, 1), (1, 1)], [1, 1], 1),
        });
    }

    #[test]
    fn strided_downsampling_matches_the_definition() {
        check(Case {
            b: 3,
            c_in: 5,
            h: 10,
            w: 9,
            c_out: 7,
            k: (3, 3),
            options: opts([2, 2], [(1, 1), (1, 1)], [1, 1], 1),
        });
    }

    #[test]
    fn odd_padding_dilation_groups_and_one_image_match_the_definition() {
        check(Case {
            b: 1,
            c_in: 6,
            h: 11,
            w: 13,
            c_out: 4,
            k: (3, 2),
            options: opts([1, 2], [(2, 0), (1, 3)], [2, 1], 2),
        });
        check(Case {
            b: 2,
            c_in: 3,
            h: 5,
            w: 4,
            c_out: 2,
            k: (5, 5),
            options: opts([1, 1], [(0, 0), (0, 0)], [1, 1], 1),
        });
    }

    #[test]
    fn a_tall_image_is_cut_into_tiles_that_agree() {
        // 200 rows of 8 make several tiles per image whatever the thread count.
        check(Case {
            b: 2,
            c_in: 3,
            h: 200,
            w: 8,
            c_out: 4,
            k: (3, 3),
            options: opts([1, 1], [(1, 1), (1, 1)], [1, 1], 1),
        });
        let geo = Geometry::new(
            &[2, 3, 200, 8],
            &[4, 3, 3, 3],
            200,
            8,
            &opts([1, 1], [(1, 1), (1, 1)], [1, 1], 1),
        );
        assert!(geo.tile_rows(2) < 200);
    }
}
