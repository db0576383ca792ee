//! ONNX `PRelu` for tract as `max(x, 0) + slope * min(x, 0)`: the same values as tract's own
//! translation (`x < 0 ? x * slope : x`), but every step is an element-wise operation with a
//! vectorised kernel, where tract's comparison and select run element by element through
//! `ndarray` (8 % of the face models' time in a `perf` profile of `cutroom sync`).

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
        "PreluMaxMin".into()
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
        let x = inputs[0];
        let mut slope = inputs[1];
        let rank = model.outlet_fact(x)?.rank();
        while model.outlet_fact(slope)?.rank() < rank {
            slope = model.wire_node(
                format!("{name}.add-axis-{}", model.outlet_fact(slope)?.rank()),
                AxisOp::Add(0),
                &[slope],
            )?[0];
        }
        let zero = tensor0(0.0)
            .cast_to_dt(model.outlet_fact(x)?.datum_type)?
            .into_owned()
            .broadcast_into_rank(rank)?;
        let zero = model.add_const(format!("{name}.zero"), zero)?;
        let pos = model.wire_node(
            format!("{name}.max"),
            tract_core::ops::math::max(),
            &[x, zero],
        )?[0];
        let neg = model.wire_node(
            format!("{name}.min"),
            tract_core::ops::math::min(),
            &[x, zero],
        )?[0];
        let neg = model.wire_node(
            format!("{name}.mul"),
            tract_core::ops::math::mul(),
            &[neg, slope],
        )?[0];
        model.wire_node(
            format!("{name}.add"),
            tract_core::ops::math::add(),
            &[pos, neg],
        )
    }
}

#[cfg(test)]
mod tests {
    use super::super::{plan, run, LANDMARK_ONNX, MESH};

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
        assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(x.len(), y.len());
            for (u, v) in x.iter().zip(y) {
                assert!((u - v).abs() <= 1e-4 * v.abs().max(1.0), "{u} against {v}");
            }
        }
    }
}
