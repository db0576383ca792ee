//! Faces and their mouths: MediaPipe's face detector and face landmark model (ONNX, embedded,
//! run with `tract`), tracked over the frames of a video, giving each face's mouth opening per
//! frame.
//!
//! The detector looks at a small picture every few frames (every frame while no face is
//! tracked would be wasteful: every [`SEARCH_EVERY`] frames then); each face is then followed
//! frame by frame with the landmark model on a crop built from the previous frame's landmarks,
//! the way MediaPipe's face mesh tracks. The frame's pixels are asked for only where needed
//! (see [`Pictures`]): the whole frame small for the detector, each face's crop read straight
//! from the decoded planes for the landmarks.

#![forbid(unsafe_code)]

pub mod detect;
mod maxpool;
mod prelu;
pub mod roi;
pub mod yuv;

use detect::Detection;
use roi::Roi;
use std::sync::OnceLock;
use tract_onnx::prelude::*;

/// A packed 8-bit RGB picture.
#[derive(Debug, Clone)]
pub struct Rgb {
    /// Width (pixels).
    pub width: usize,
    /// Height (pixels).
    pub height: usize,
    /// `width * height * 3` bytes, rows top to bottom.
    pub data: Vec<u8>,
}

/// The current frame's pixels, as the tracker asks for them.
pub trait Pictures {
    /// The whole frame, fitting in [`detect::SIZE`] square, aspect kept.
    fn small(&mut self) -> TractResult<Rgb>;
    /// The crop `roi` as `n` x `n` RGB values, plane by plane (see [`Roi::sample`]), read
    /// from the frame reduced by [`reduction`].
    fn crop(&mut self, roi: &Roi, n: usize) -> TractResult<Vec<f32>>;
}

/// A box `(cx, cy, w, h)`: centre and size.
pub type Area = (f32, f32, f32, f32);

/// Landmark crops are read from the frame box-averaged by the whole factor that keeps its
/// shorter side at least this long (pixels): 2 for 1080p, none under 960.
const SAMPLE_SIDE: u32 = 480;

/// The box-average factor of `SAMPLE_SIDE` for a `width` x `height` frame.
pub fn reduction(width: u32, height: u32) -> usize {
    (width.min(height) / SAMPLE_SIDE).max(1) as usize
}
/// The landmark model's input side (pixels).
const MESH: usize = 192;
/// Mesh points: upper and lower inner lip, middle then towards the corners, both sides.
const LIPS: [(usize, usize); 5] = [(13, 14), (82, 87), (312, 317), (81, 178), (311, 402)];
/// Mesh points of the eyes' outer corners (the subject's right, then left).
const EYES: (usize, usize) = (33, 263);
/// Face presence (after the sigmoid) below which a tracked face is lost.
const MIN_PRESENCE: f32 = 0.5;
/// While faces are tracked, the detector still runs every this many frames for new faces.
const DETECT_EVERY: usize = 12;
/// While no face is tracked, the detector runs every this many frames.
pub const SEARCH_EVERY: usize = 4;
/// A detection overlapping a tracked face by more than this is that face.
const SAME_FACE_IOU: f32 = 0.3;
/// While no face is tracked and the whole frame shows none, every this many searches (4 s at
/// 30 fps) also look at the frame in tiles, for faces too small to be found in the whole.
const TILED_EVERY: usize = 30;

const DETECTOR_ONNX: &[u8] = include_bytes!("../../models/face_detection_short_range.onnx");
const LANDMARK_ONNX: &[u8] = include_bytes!("../../models/face_landmark.onnx");

type Plan = std::sync::Arc<TypedRunnableModel>;

/// The two models, optimised once per process.
struct Models {
    detector: Plan,
    landmarks: Plan,
    anchors: Vec<(f32, f32)>,
}

fn models() -> TractResult<&'static Models> {
    static MODELS: OnceLock<std::result::Result<Models, String>> = OnceLock::new();
    MODELS
        .get_or_init(|| {
            let mut onnx = tract_onnx::onnx();
            prelu::register(&mut onnx);
            Ok(Models {
                detector: plan(&onnx, DETECTOR_ONNX, detect::SIZE).map_err(|e| e.to_string())?,
                landmarks: plan(&onnx, LANDMARK_ONNX, MESH).map_err(|e| e.to_string())?,
                anchors: detect::anchors(),
            })
        })
        .as_ref()
        .map_err(|e| TractError::msg(format!("the embedded face models do not load: {e}")))
}

/// The ONNX model `bytes`, read by `onnx`, optimised for one `side` x `side` picture given as
/// its three colour planes (NCHW).
fn plan(onnx: &tract_onnx::Onnx, bytes: &[u8], side: usize) -> TractResult<Plan> {
    let mut proto = onnx.proto_model_for_read(&mut std::io::Cursor::new(bytes))?;
    planar_input(&mut proto)?;
    let mut model = onnx
        .model_for_proto_model(&proto)?
        .with_input_fact(0, f32::fact([1, 3, side, side]).into())?
        .into_typed()?
        .into_decluttered()?;
    maxpool::replace(&mut model)?;
    model.into_optimized()?.into_runnable()
}

/// Takes out the models' first step, the converter's transpose of the NHWC input to planes
/// (NCHW): the pictures are made as planes (a copy per inference saved, and the crop's colour
/// conversion vectorises).
fn planar_input(proto: &mut tract_onnx::pb::ModelProto) -> TractResult<()> {
    let missing = |what: &str| TractError::msg(format!("a face model has no {what}"));
    let graph = proto.graph.as_mut().ok_or_else(|| missing("graph"))?;
    let input = graph
        .input
        .first()
        .ok_or_else(|| missing("input"))?
        .name
        .clone();
    let first = graph
        .node
        .iter()
        .position(|n| {
            n.op_type == "Transpose"
                && n.input == [input.as_str()]
                && n.attribute
                    .iter()
                    .any(|a| a.name == "perm" && a.ints == [0, 3, 1, 2])
        })
        .ok_or_else(|| missing("transpose of its NHWC input"))?;
    let planes = graph.node.remove(first).output;
    for name in graph.node.iter_mut().flat_map(|n| n.input.iter_mut()) {
        if planes.contains(name) {
            name.clone_from(&input);
        }
    }
    Ok(())
}

/// Run a model (its `state`, kept from run to run) on one picture of `side` x `side` given as
/// its red, green and blue planes (moved, not copied); its outputs flattened.
fn run(state: &mut TypedSimpleState, input: Vec<f32>, side: usize) -> TractResult<Vec<Vec<f32>>> {
    let t = tract_ndarray::Array4::from_shape_vec((1, 3, side, side), input)?.into_tensor();
    let out = state.run(tvec!(t.into()))?;
    out.iter()
        .map(|o| Ok(o.to_plain_array_view::<f32>()?.iter().copied().collect()))
        .collect()
}

/// MediaPipe's face detector alone: where the faces are in a small picture, for callers that
/// need no landmarks (the [`Tracker`] runs it too).
pub struct Detector {
    models: &'static Models,
    state: TypedSimpleState,
}

impl Detector {
    /// The detector with the embedded model (loaded on first use).
    pub fn new() -> TractResult<Self> {
        let models = models()?;
        Ok(Self {
            models,
            state: models.detector.spawn()?,
        })
    }

    /// Faces in `small` (which fits in the detector's square, aspect kept, centred on its
    /// padding as MediaPipe pads), in `small`'s sides, best scored first.
    pub fn detect(&mut self, small: &Rgb) -> TractResult<Vec<Detection>> {
        let side = detect::SIZE;
        let (px, py) = ((side - small.width) / 2, (side - small.height) / 2);
        let mut input = vec![-1.0f32; side * side * 3];
        for y in 0..small.height {
            let row = &small.data[y * small.width * 3..(y + 1) * small.width * 3];
            for (c, plane) in input.chunks_exact_mut(side * side).enumerate() {
                let at = (y + py) * side + px;
                let values = row.iter().skip(c).step_by(3);
                for (o, v) in plane[at..at + small.width].iter_mut().zip(values) {
                    *o = f32::from(*v) / 127.5 - 1.0;
                }
            }
        }
        let (sx, sy) = (
            side as f32 / small.width as f32,
            side as f32 / small.height as f32,
        );
        let (ox, oy) = (px as f32 / side as f32, py as f32 / side as f32);
        let unbox = |(x, y): (f32, f32)| ((x - ox) * sx, (y - oy) * sy);
        Ok(self
            .detect_planes(input)?
            .into_iter()
            .map(|d| {
                let (cx, cy) = unbox((d.cx, d.cy));
                Detection {
                    cx,
                    cy,
                    w: d.w * sx,
                    h: d.h * sy,
                    keypoints: d.keypoints.map(unbox),
                    score: d.score,
                }
            })
            .collect())
    }

    /// Faces in a detector picture given as planes in [-1, 1], in its sides.
    fn detect_planes(&mut self, input: Vec<f32>) -> TractResult<Vec<Detection>> {
        let out = run(&mut self.state, input, detect::SIZE)?;
        let (boxes, scores) = match (out.first(), out.get(1)) {
            (Some(a), Some(b)) if a.len() == detect::ANCHORS * detect::VALUES => (a, b),
            (Some(a), Some(b)) => (b, a),
            _ => return Err(TractError::msg("the face detector gave no output")),
        };
        Ok(detect::decode(boxes, scores, &self.models.anchors))
    }
}

/// One face followed over consecutive frames.
#[derive(Debug, Clone, PartialEq)]
pub struct FaceTrack {
    /// Track number, from 0, in order of appearance.
    pub id: u32,
    /// The frames it was seen in, in order.
    pub frames: Vec<FaceFrame>,
}

/// A tracked face in one frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FaceFrame {
    /// Frame index.
    pub index: usize,
    /// Mouth opening: inner-lip gap over the eyes' outer-corner distance.
    pub opening: f32,
    /// Landmark bounding box `(cx, cy, w, h)` in frame sides.
    pub area: Area,
}

struct Live {
    track: FaceTrack,
    roi: Roi,
    /// Landmark bounding box `(cx, cy, w, h)` in frame sides, last frame.
    bbox: Area,
}

/// Follows faces over frames given one at a time.
pub struct Tracker {
    detector: Detector,
    landmarks: TypedSimpleState,
    /// Frame size (pixels).
    size: (f32, f32),
    live: Vec<Live>,
    done: Vec<FaceTrack>,
    next_id: u32,
    frame: usize,
    since_detect: usize,
    /// Searches since a face was last tracked.
    searches: usize,
}

impl Tracker {
    /// A tracker of `width` x `height` frames with the embedded models (loaded on first use).
    pub fn new(width: u32, height: u32) -> TractResult<Self> {
        let models = models()?;
        Ok(Self {
            detector: Detector::new()?,
            landmarks: models.landmarks.spawn()?,
            size: (width.max(1) as f32, height.max(1) as f32),
            live: Vec::new(),
            done: Vec::new(),
            next_id: 0,
            frame: 0,
            since_detect: usize::MAX,
            searches: 0,
        })
    }

    /// The next frame, its pixels read from `frame` as needed.
    pub fn add(&mut self, frame: &mut dyn Pictures) -> TractResult<()> {
        let index = self.frame;
        self.frame += 1;
        let every = if self.live.is_empty() {
            SEARCH_EVERY
        } else {
            DETECT_EVERY
        };
        let search = self.since_detect >= every;
        self.since_detect = self.since_detect.saturating_add(1);
        if search {
            self.since_detect = 0;
            let mut found = self.detector.detect(&frame.small()?)?;
            if self.live.is_empty() {
                // The first search and every TILED_EVERY-th while none is found look closer.
                if found.is_empty() && self.searches % TILED_EVERY == 0 {
                    found = self.detect_tiled(frame)?;
                }
                self.searches += 1;
            }
            for d in found {
                let b = (d.cx, d.cy, d.w, d.h);
                if self
                    .live
                    .iter()
                    .all(|l| detect::iou(l.bbox, b) <= SAME_FACE_IOU)
                {
                    let (w, h) = self.size;
                    self.live.push(Live {
                        track: FaceTrack {
                            id: self.next_id,
                            frames: Vec::new(),
                        },
                        roi: Roi::from_detection(&d, w, h),
                        bbox: b,
                    });
                    self.next_id += 1;
                }
            }
        }
        let mut kept = Vec::with_capacity(self.live.len());
        for mut live in std::mem::take(&mut self.live) {
            let duplicate = kept
                .iter()
                .any(|k: &Live| detect::iou(k.bbox, live.bbox) > 0.5);
            let found = match duplicate {
                true => None,
                false => self.landmarks(&live.roi, frame)?,
            };
            match found {
                Some((opening, roi, bbox)) => {
                    live.track.frames.push(FaceFrame {
                        index,
                        opening,
                        area: bbox,
                    });
                    live.roi = roi;
                    live.bbox = bbox;
                    kept.push(live);
                }
                None => self.end(live),
            }
        }
        self.live = kept;
        if !self.live.is_empty() {
            self.searches = 0;
        }
        if self.live.is_empty() && self.since_detect > 0 {
            // Lost: search again on the next frame.
            self.since_detect = usize::MAX;
        }
        Ok(())
    }

    /// Every face track, in order of appearance.
    pub fn finish(mut self) -> Vec<FaceTrack> {
        self.end_all();
        self.done.sort_by_key(|t| t.id);
        self.done
    }

    fn end_all(&mut self) {
        for live in std::mem::take(&mut self.live) {
            self.end(live);
        }
    }

    fn end(&mut self, live: Live) {
        if !live.track.frames.is_empty() {
            self.done.push(live.track);
        }
    }

    /// Faces in the frame's [`tiles`], in frame sides: one detection per face, the best
    /// scored of the tiles that overlap it.
    fn detect_tiled(&mut self, frame: &mut dyn Pictures) -> TractResult<Vec<Detection>> {
        let (w, h) = self.size;
        let mut found: Vec<Detection> = Vec::new();
        for (x0, y0, side) in tiles(w, h) {
            let roi = Roi {
                cx: x0 + side / 2.0,
                cy: y0 + side / 2.0,
                size: side,
                angle: 0.0,
            };
            let input = frame.crop(&roi, detect::SIZE)?;
            let input = input.into_iter().map(|v| v * 2.0 - 1.0).collect();
            let to_frame = |(x, y): (f32, f32)| ((x0 + x * side) / w, (y0 + y * side) / h);
            for d in self.detector.detect_planes(input)? {
                let (cx, cy) = to_frame((d.cx, d.cy));
                let d = Detection {
                    cx,
                    cy,
                    w: d.w * side / w,
                    h: d.h * side / h,
                    keypoints: d.keypoints.map(to_frame),
                    score: d.score,
                };
                match found.iter_mut().find(|f| f.iou(&d) > SAME_FACE_IOU) {
                    Some(f) if f.score < d.score => *f = d,
                    Some(_) => {}
                    None => found.push(d),
                }
            }
        }
        Ok(found)
    }

    /// The landmarks in the crop `roi` of the frame: the mouth opening, the next frame's crop
    /// and the landmarks' box `(cx, cy, w, h)` in frame sides; `None` when no face is there.
    fn landmarks(
        &mut self,
        roi: &Roi,
        frame: &mut dyn Pictures,
    ) -> TractResult<Option<(f32, Roi, Area)>> {
        let out = run(&mut self.landmarks, frame.crop(roi, MESH)?, MESH)?;
        let (points, presence) = match (out.first(), out.get(1)) {
            (Some(a), Some(b)) if a.len() == 468 * 3 => (a, b),
            (Some(a), Some(b)) => (b, a),
            _ => return Err(TractError::msg("the face landmark model gave no output")),
        };
        let presence = 1.0 / (1.0 + (-presence[0]).exp());
        if presence < MIN_PRESENCE || points.len() != 468 * 3 {
            return Ok(None);
        }
        let p = |i: usize| (points[i * 3], points[i * 3 + 1]);
        let opening = mouth_opening(&p);
        let projected: Vec<(f32, f32)> = (0..468)
            .map(|i| {
                let (u, v) = p(i);
                roi.to_picture(u, v, MESH)
            })
            .collect();
        let next = Roi::from_points(&projected, EYES.0, EYES.1);
        let (w, h) = self.size;
        let bbox = (
            next.cx / w,
            next.cy / h,
            next.size / 1.5 / w,
            next.size / 1.5 / h,
        );
        Ok(Some((opening, next, bbox)))
    }
}

/// The tiles a `w` x `h` frame is searched in for small faces, `(x0, y0, side)` in pixels:
/// squares of two thirds of its shorter side, overlapping by at least 0.4 of a side so that a
/// face too small to be found in the whole frame (under a fifth of its shorter side) lies
/// wholly in one: 8 on a 1080x1920 or 1920x1080 frame. None for a frame under four times the
/// detector's side (512 px): the whole frame shows it a face of a fifth of that at 20 px or
/// more.
fn tiles(w: f32, h: f32) -> Vec<(f32, f32, f32)> {
    if w.min(h) < 4.0 * detect::SIZE as f32 {
        return Vec::new();
    }
    let side = w.min(h) * 2.0 / 3.0;
    let along = |len: f32| -> Vec<f32> {
        let n = ((len - side) / (0.6 * side)).ceil() as usize + 1;
        (0..n)
            .map(|i| (len - side) * i as f32 / (n - 1).max(1) as f32)
            .collect()
    };
    let (xs, ys) = (along(w), along(h));
    ys.iter()
        .flat_map(|&y| xs.iter().map(move |&x| (x, y, side)))
        .collect()
}

/// The inner-lip gap (mean over the [`LIPS`] pairs) over the eyes' outer-corner distance, from
/// mesh point coordinates `p` in any one scale.
fn mouth_opening(p: &dyn Fn(usize) -> (f32, f32)) -> f32 {
    let dist = |a: usize, b: usize| {
        let ((ax, ay), (bx, by)) = (p(a), p(b));
        ((ax - bx).powi(2) + (ay - by).powi(2)).sqrt()
    };
    let gap = LIPS.iter().map(|&(u, l)| dist(u, l)).sum::<f32>() / LIPS.len() as f32;
    gap / dist(EYES.0, EYES.1).max(1e-3)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Tiles lie inside the frame, and any face of up to 0.4 of a tile lies wholly in one.
    #[test]
    fn tiles_hold_every_small_face() {
        assert_eq!(tiles(1080.0, 1920.0).len(), 8);
        assert_eq!(tiles(1920.0, 1080.0).len(), 8);
        assert!(tiles(360.0, 288.0).is_empty());
        for (w, h) in [
            (1080.0, 1920.0),
            (1920.0, 1080.0),
            (1280.0, 720.0),
            (512.0, 512.0),
        ] {
            let tiles = tiles(w, h);
            for &(x, y, side) in &tiles {
                assert!(x >= 0.0 && y >= 0.0 && x + side <= w + 0.01 && y + side <= h + 0.01);
            }
            let face = 0.4 * tiles[0].2;
            for fx in (0..=((w - face) / 8.0) as usize).map(|i| i as f32 * 8.0) {
                for fy in (0..=((h - face) / 8.0) as usize).map(|i| i as f32 * 8.0) {
                    assert!(
                        tiles.iter().any(|&(x, y, s)| fx >= x - 0.01
                            && fy >= y - 0.01
                            && fx + face <= x + s + 0.01
                            && fy + face <= y + s + 0.01),
                        "{w}x{h}: a face at ({fx}, {fy}) lies in no tile"
                    );
                }
            }
        }
    }

    /// The models on planes give exactly what they give on the NHWC picture they were made for.
    #[test]
    fn planar_input_changes_no_output() {
        let mut onnx = tract_onnx::onnx();
        prelu::register(&mut onnx);
        for (bytes, side) in [(LANDMARK_ONNX, MESH), (DETECTOR_ONNX, detect::SIZE)] {
            let nhwc = onnx
                .model_for_read(&mut std::io::Cursor::new(bytes))
                .unwrap()
                .with_input_fact(0, f32::fact([1, side, side, 3]).into())
                .unwrap()
                .into_optimized()
                .unwrap()
                .into_runnable()
                .unwrap();
            // A picture with edges and gradients in every channel, as planes and interleaved.
            let planes: Vec<f32> = (0..3 * side * side)
                .map(|i| ((i * 7919) % 255) as f32 / 255.0 * ((i % side) as f32 / side as f32))
                .collect();
            let pixels = (0..side * side).flat_map(|i| (0..3).map(move |c| c * side * side + i));
            let interleaved: Vec<f32> = pixels.map(|i| planes[i]).collect();
            let t = tract_ndarray::Array4::from_shape_vec((1, side, side, 3), interleaved)
                .unwrap()
                .into_tensor();
            let want: Vec<Vec<f32>> = nhwc
                .run(tvec!(t.into()))
                .unwrap()
                .iter()
                .map(|o| {
                    o.to_plain_array_view::<f32>()
                        .unwrap()
                        .iter()
                        .copied()
                        .collect()
                })
                .collect();
            let ours = plan(&onnx, bytes, side).unwrap();
            assert_eq!(run(&mut ours.spawn().unwrap(), planes, side).unwrap(), want);
        }
    }
}
