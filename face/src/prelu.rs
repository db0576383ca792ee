//! ONNX `PRelu` for tract as one operation of our own ([`PreluOp`]): `x < 0 ? x * slope : x`
//! per channel, in place, one pass over the values in a loop that vectorises. tract's own
//! translation (the same comparison and select) runs element by element through `ndarray`, and
//! wiring it from tract's vectorised operations (`max(x, 0) + slope * min(x, 0)`) took two
//! passes: 3.5 % of `sync`'s CPU in a `perf` profile.

use tract_onnx::prelude::*;
use tract_onnx::tract_hir::internal::*;
use tract_onnx::tract_hir::ops::expandable::expand;

/// Registers [`Prelu`] in place of tract's `PRelu` translation.
pub fn register(onnx: &mut tract_onnx::Onnx) {
    onnx.op_register
        .insert("PRelu", |_, _| Ok((expand(Prelu), vec![])));
}

/// The `PRelu` expansion.
#[derive(Debug, Clone, Hash, PartialEq, Eq)]
struct Prelu;

impl Expansion for Prelu {
    fn name(&self) -> StaticName {
        "Prelu".into()
    }

    fn rules<'r, 'p: 'r, 's: 'r>(
        &'s self,
        s: &mut Solver<'r>,
        inputs: &'p [TensorProxy],
        outputs: &'p [TensorProxy],
    ) -> InferenceResult {
        check_input_arity(inputs, 2)?;
        check_output_arity(outputs, 1)?;
        s.equals(&inputs[0].datum_type, &outputs[0].datum_type)?;
        s.equals(&inputs[0].shape, &outputs[0].shape)?;
        Ok(())
    }

    fn wire(
        &self,
        name: &str,
        model: &mut TypedModel,
        inputs: &[OutletId],
    ) -> TractResult<TVec<OutletId>> {
        let (x, slope) = (model.outlet_fact(inputs[0])?, model.outlet_fact(inputs[1])?);
        let channels = x.shape.get(1).and_then(|d| d.to_usize().ok());
        // The slope as ONNX broadcasts it (trailing axes aligned): one value per channel.
        let per_channel = x.rank() >= 2
            && slope.rank() <= x.rank()
            && slope
                .shape
                .iter()
                .rev()
                .skip(x.rank() - 1)
                .all(|d| d.is_one())
            && slope
                .shape
                .iter()
                .rev()
                .take(x.rank() - 2)
                .all(|d| d.is_one())
            && Some(slope.shape.volume()) == channels.map(|c| c.to_dim());
        ensure!(
            x.datum_type == f32::datum_type() && slope.konst.is_some() && per_channel,
            "PRelu: only a constant f32 slope per channel is supported"
        );
        model.wire_node(name, PreluOp, inputs)
    }
}

/// `x < 0 ? x * slope : x`, the slope (the second input) one value per channel (axis 1).
#[derive(Debug, Clone, Hash, PartialEq, Eq)]
pub struct PreluOp;

impl Op for PreluOp {
    fn name(&self) -> StaticName {
        "PreluOp".into()
    }

    op_as_typed_op!();
}

impl EvalOp for PreluOp {
    op_out_of_plan!();

    fn eval(&self, _ctx: &EvalContext, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        let (x, slope) = args_2!(inputs);
        // In place when the input is ours alone (it is in the face models: a sum or a
        // convolution feeding only this).
        let mut x = x.into_tensor();
        let slope = slope.try_as_plain_ram()?;
        let slope = slope.as_slice::<f32>()?;
        let plane: usize = x.shape().iter().skip(2).product();
        if plane > 0 {
            let mut values = x.try_as_plain_ram_mut()?;
            let planes = values.as_slice_mut::<f32>()?.chunks_exact_mut(plane);
            for (values, &s) in planes.zip(slope.iter().cycle()) {
                for v in values {
                    // A select, not a branch: the loop vectorises (a branch on the sign is
                    // mispredicted half the time and keeps the loop scalar).
                    *v = if *v < 0.0 { *v * s } else { *v };
                }
            }
        }
        Ok(tvec!(x.into_tvalue()))
    }
}

impl TypedOp for PreluOp {
    fn output_facts(&self, inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        Ok(tvec!(inputs[0].datum_type.fact(inputs[0].shape.clone())))
    }

    as_op!();
}

#[cfg(test)]
mod tests {
    use crate::{plan, run, LANDMARK_ONNX, MESH};

    #[test]
    fn landmarks_as_with_tracts_prelu() {
        let ours = {
            let mut onnx = tract_onnx::onnx();
            super::register(&mut onnx);
            plan(&onnx, LANDMARK_ONNX, MESH).unwrap()
        };
        let tracts = plan(&tract_onnx::onnx(), LANDMARK_ONNX, MESH).unwrap();
        // A picture with edges and gradients in every channel.
        let input: Vec<f32> = (0..MESH * MESH * 3)
            .map(|i| ((i * 7919) % 255) as f32 / 255.0 * ((i / 3 % MESH) as f32 / MESH as f32))
            .collect();
        let (a, b) = (
            run(&mut ours.spawn().unwrap(), input.clone(), MESH).unwrap(),
            run(&mut tracts.spawn().unwrap(), input, MESH).unwrap(),
        );
        // The same comparison and product per value: the same landmarks to the bit.
        assert_eq!(a, b);
    }
}
