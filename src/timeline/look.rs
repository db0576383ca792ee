//! How text looks: the style keys captions, text overlays and text cards share (size, colours,
//! outline, shadow, box, bold), read and checked by one piece of code. A table of them is read
//! key by key ([`read_table`]), so a style that adds keys of its own still refuses any other
//! key with an error naming it (serde's `flatten` cannot do that).

use crate::picture::rgb::Rgba;
use schemars::JsonSchema;
use serde::de::{self, Deserialize, DeserializeSeed, Deserializer, MapAccess, Visitor};
use std::fmt;
use std::marker::PhantomData;

/// The look of a block of text. Sizes are fractions of the frame (or of the font size), so one
/// look fits every frame. Every key is optional; the defaults differ between captions (and
/// text overlays) and text cards, so the schema states them in words.
#[derive(Debug, Clone, PartialEq, JsonSchema)]
#[schemars(deny_unknown_fields, default)]
pub struct Look {
    /// Font size: the line height (libass's font size; the letters' em is 1/1.164 of it with
    /// the shipped font) as a fraction of the frame height; captions 0.01-0.2 (default 0.045),
    /// text cards 0.01-0.5 (default 0.08).
    #[schemars(skip_serializing_if = "per_place")]
    pub size: f64,
    /// Text colour: a CSS colour name, #RRGGBB or #RGB, or with an alpha #RRGGBBAA or #RGBA
    /// (default white).
    #[schemars(skip_serializing_if = "per_place")]
    pub color: String,
    /// Outline thickness as a fraction of the font size, 0-0.5 (0: none; default 0.08 for
    /// captions, 0 on text cards).
    #[schemars(skip_serializing_if = "per_place")]
    pub outline: f64,
    /// Shadow offset as a fraction of the font size, 0-0.5 (default 0: none).
    #[schemars(skip_serializing_if = "per_place")]
    pub shadow: f64,
    /// Draw the text on an opaque box (`box_color`) instead of outlined (default false).
    #[schemars(rename = "box", skip_serializing_if = "per_place")]
    pub boxed: bool,
    /// Colour of the box (and of the outline), with an alpha as `color` (default black).
    #[schemars(skip_serializing_if = "per_place")]
    pub box_color: String,
    /// Bold text (default: captions bold, text cards regular).
    #[schemars(skip_serializing_if = "per_place")]
    pub bold: bool,
}

/// For the schema: a look key's default depends on where the look is (see [`Look`]).
fn per_place<T>(_: &T) -> bool {
    true
}

impl Default for Look {
    /// A text card's: regular white text, 0.08 of the frame high, no outline.
    fn default() -> Self {
        Self {
            size: 0.08,
            color: "#FFFFFF".into(),
            outline: 0.0,
            shadow: 0.0,
            boxed: false,
            box_color: "#000000".into(),
            bold: false,
        }
    }
}

impl Look {
    /// The keys as written in a style table.
    pub const KEYS: [&'static str; 7] = [
        "size",
        "color",
        "outline",
        "shadow",
        "box",
        "box_color",
        "bold",
    ];

    /// Captions' (and text overlays') default: bold white text 0.045 of the frame high with a
    /// black outline.
    pub fn caption() -> Self {
        Self {
            size: 0.045,
            outline: 0.08,
            bold: true,
            ..Self::default()
        }
    }

    /// Range and colour checks, `at` naming the table in the message; `max_size` is the
    /// largest `size` the place allows.
    pub fn check(&self, at: &str, max_size: f64) -> Result<(), String> {
        if !(0.01..=max_size).contains(&self.size) {
            return Err(format!(
                "{at}.size = {}: expected 0.01 to {max_size} (of the frame height)",
                self.size
            ));
        }
        for (k, v) in [("outline", self.outline), ("shadow", self.shadow)] {
            if !(0.0..=0.5).contains(&v) {
                return Err(format!(
                    "{at}.{k} = {v}: expected 0 to 0.5 (of the font size)"
                ));
            }
        }
        for (k, v) in [("color", &self.color), ("box_color", &self.box_color)] {
            colour(v).map_err(|e| format!("{at}.{k}: {e}"))?;
        }
        Ok(())
    }
}

/// A colour key's value ([`Rgba::parse`]: a CSS colour name, #RRGGBB or #RGB, or with an
/// alpha #RRGGBBAA or #RGBA).
pub fn colour(s: &str) -> Result<Rgba, String> {
    Rgba::parse(s).map_err(|_| format!("'{s}': {}", crate::picture::rgb::FORMS_ALPHA))
}

/// A style table read key by key: [`Look`]'s keys and the type's own.
pub trait Table: Default {
    /// The keys besides [`Look::KEYS`].
    const OWN: &'static [&'static str];
    /// The look the keys of [`Look::KEYS`] go to.
    fn look(&mut self) -> &mut Look;
    /// Read the value of `key`, one of [`Self::OWN`].
    fn read_own<'de, A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<(), A::Error>;
}

impl Table for Look {
    const OWN: &'static [&'static str] = &[];
    fn look(&mut self) -> &mut Look {
        self
    }
    fn read_own<'de, A: MapAccess<'de>>(&mut self, key: &str, _: &mut A) -> Result<(), A::Error> {
        Err(de::Error::custom(format!("unknown field `{key}`")))
    }
}

impl<'de> Deserialize<'de> for Look {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        read_table(d)
    }
}

/// Read a `T` from a table: it starts at its default and takes each key given; a key that is
/// neither a look key nor one of `T`'s own, or a key given twice, is an error naming it (at
/// the key, for formats that point at it).
pub fn read_table<'de, D: Deserializer<'de>, T: Table>(d: D) -> Result<T, D::Error> {
    struct Keys<T>(PhantomData<T>);
    impl<'de, T: Table> Visitor<'de> for Keys<T> {
        type Value = T;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a table of style keys")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
            let mut t = T::default();
            let known: Vec<&'static str> = Look::KEYS.iter().chain(T::OWN).copied().collect();
            let mut seen: Vec<&'static str> = Vec::new();
            while let Some(key) = map.next_key_seed(Key {
                known: &known,
                seen: &seen,
            })? {
                let look = t.look();
                match key {
                    "size" => look.size = map.next_value()?,
                    "color" => look.color = map.next_value()?,
                    "outline" => look.outline = map.next_value()?,
                    "shadow" => look.shadow = map.next_value()?,
                    "box" => look.boxed = map.next_value()?,
                    "box_color" => look.box_color = map.next_value()?,
                    "bold" => look.bold = map.next_value()?,
                    own => t.read_own(own, &mut map)?,
                }
                seen.push(key);
            }
            Ok(t)
        }
    }
    d.deserialize_map(Keys(PhantomData))
}

/// A key of a style table: one of `known`, not one of `seen`.
struct Key<'a> {
    known: &'a [&'static str],
    seen: &'a [&'static str],
}

impl<'de> DeserializeSeed<'de> for Key<'_> {
    type Value = &'static str;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        let key = String::deserialize(d)?;
        let Some(&k) = self.known.iter().find(|k| **k == key) else {
            let all: Vec<String> = self.known.iter().map(|k| format!("`{k}`")).collect();
            return Err(de::Error::custom(format!(
                "unknown field `{key}`, expected one of {}",
                all.join(", ")
            )));
        };
        match self.seen.contains(&k) {
            true => Err(de::Error::custom(format!("duplicate field `{k}`"))),
            false => Ok(k),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_look_keys_are_read_and_checked_and_an_unknown_key_is_named() {
        let card: Look = toml::from_str("size = 0.1\nbox = true\ncolor = \"#fa0\"").unwrap();
        assert_eq!(
            card,
            Look {
                size: 0.1,
                boxed: true,
                color: "#fa0".into(),
                ..Look::default()
            }
        );
        assert_eq!(colour(&card.color).unwrap().rgb.0, [255, 170, 0]);
        let e = toml::from_str::<Look>("size = 0.1\nmax_chars = 30")
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown field `max_chars`"), "{e}");
        let e = serde_json::from_str::<Look>(r#"{"bold": true, "bold": false}"#).unwrap_err();
        assert!(e.to_string().contains("duplicate field `bold`"), "{e}");
        assert!(Look::default().check("style", 0.5).is_ok());
        let e = Look {
            box_color: "reddish".into(),
            ..Look::caption()
        }
        .check("captions", 0.2)
        .unwrap_err();
        assert!(
            e.starts_with("captions.box_color: 'reddish': expected a CSS colour name"),
            "{e}"
        );
    }
}
