//! The face models' max-pooling (2 x 2 windows, stride 2, no padding, planes: NCHW) as an
//! operation of our own ([`MaxPool2x2`]): tract runs this case one value at a time (only the
//! stride-1 case has a vectorised path), 3.9 % of `sync`'s CPU in a `perf` profile.

use tract_onnx::prelude::*;
use tract_onnx::tract_hir::internal::*;
use tract_onnx::tract_hir::tract_core::ops::cnn::{MaxPool, PaddingSpec};
use tract_onnx::tract_hir::tract_core::ops::nn::DataFormat;

/// Puts [`MaxPool2x2`] in place of each of `model`'s max-poolings it computes.
pub fn replace(model: &mut TypedModel) -> TractResult<()> {
    for id in model.eval_order()? {
        let node = model.node(id);
        if node.op_as::<MaxPool>().is_some_and(is_2x2) {
            TypedModelPatch::replace_single_op(model, node, &node.inputs, MaxPool2x2)?
                .apply(model)?;
        }
    }
    Ok(())
}

/// Whether `pool` takes the maximum of 2 x 2 windows at stride 2 over NCHW planes, unpadded.
fn is_2x2(pool: &MaxPool) -> bool {
    let spec = &pool.pool_spec;
    let twos = |v: &[usize]| v == [2, 2];
    let unpadded = match &spec.padding {
        PaddingSpec::Valid => true,
        PaddingSpec::Explicit(a, b) | PaddingSpec::ExplicitOnnxPool(a, b, false) => {
            a.iter().chain(b).all(|p| *p == 0)
        }
        _ => false,
    };
    pool.with_index_outputs.is_none()
        && spec.data_format == DataFormat::NCHW
        && twos(&spec.kernel_shape)
        && spec.strides.as_deref().is_some_and(twos)
        && spec.dilations.as_deref().is_none_or(|d| d == [1, 1])
        && unpadded
}

/// The maximum of each 2 x 2 window at stride 2 of `[n, c, h, w]` f32 planes (a last odd row
/// or column left out).
#[derive(Debug, Clone, Hash, PartialEq, Eq)]
pub struct MaxPool2x2;

impl Op for MaxPool2x2 {
    fn name(&self) -> StaticName {
        "MaxPool2x2".into()
    }

    op_as_typed_op!();
}

impl EvalOp for MaxPool2x2 {
    op_out_of_plan!();

    fn eval(&self, _ctx: &EvalContext, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        let input = args_1!(inputs);
        let &[n, c, h, w] = input.shape() else {
            bail!("MaxPool2x2 needs NCHW planes, not {:?}", input.shape());
        };
        let mut out = Tensor::zero::<f32>(&[n, c, h / 2, w / 2])?;
        let input = input.try_as_plain_ram()?;
        let mut output = out.try_as_plain_ram_mut()?;
        let (ow, plane) = (w / 2, h * w);
        if ow > 0 && h > 1 {
            let out_planes = output.as_slice_mut::<f32>()?.chunks_exact_mut(ow * (h / 2));
            for (o, i) in out_planes.zip(input.as_slice::<f32>()?.chunks_exact(plane)) {
                for (o, rows) in o.chunks_exact_mut(ow).zip(i.chunks_exact(2 * w)) {
                    let (top, bottom) = rows.split_at(w);
                    let windows = top.chunks_exact(2).zip(bottom.chunks_exact(2));
                    for (o, (t, b)) in o.iter_mut().zip(windows) {
                        *o = t[0].max(t[1]).max(b[0].max(b[1]));
                    }
                }
            }
        }
        Ok(tvec!(out.into_tvalue()))
    }
}

impl TypedOp for MaxPool2x2 {
    fn output_facts(&self, inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        let s = &inputs[0].shape;
        ensure!(s.rank() == 4, "MaxPool2x2 needs NCHW planes");
        let half = |d: &TDim| d.clone() / 2;
        Ok(tvec!(f32::fact([
            s[0].clone(),
            s[1].clone(),
            half(&s[2]),
            half(&s[3])
        ])))
    }

    as_op!();
}
