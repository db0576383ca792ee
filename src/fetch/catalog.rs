//! Capabilities and prices as data: the compiled-in `providers.toml` plus the user's
//! `--providers FILE`, consulted before the first create (validation) and for cost estimates.

use super::provider::Provider;
use crate::error::{Error, Result};
use crate::picture::size;
use serde::Deserialize;
use std::path::Path;

const BUILTIN: &str = include_str!("providers.toml");

/// One model of one provider.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelEntry {
    /// The provider's name (`openai`, `openrouter`, `fal`, `replicate`).
    pub provider: String,
    /// The model id as the provider spells it.
    pub name: String,
    /// Lengths a create may ask for (empty: any).
    #[serde(default)]
    pub seconds: Vec<u32>,
    /// `WIDTHxHEIGHT` sizes a create may ask for (empty: any).
    #[serde(default)]
    pub sizes: Vec<String>,
    /// True when a reference image is accepted.
    #[serde(default)]
    pub reference_image: bool,
    /// Price per second of video, USD.
    pub usd_per_second: Option<f64>,
    /// Price per second when the short side is above 720 px, if different.
    pub usd_per_second_above_720p: Option<f64>,
}

impl ModelEntry {
    /// The price of `seconds` of video at `size`, when published.
    pub fn cost(&self, size: &str, seconds: f64) -> Option<f64> {
        let short = size::parse(size).ok().map(|(w, h)| w.min(h));
        let rate = match (self.usd_per_second_above_720p, short) {
            (Some(hd), Some(s)) if s > 720 => Some(hd),
            _ => self.usd_per_second,
        };
        rate.map(|r| r * seconds)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    model: Vec<ModelEntry>,
}

/// Every known model.
#[derive(Debug, Clone, PartialEq)]
pub struct Catalog {
    models: Vec<ModelEntry>,
}

impl Default for Catalog {
    fn default() -> Self {
        Self::builtin()
    }
}

impl Catalog {
    /// The compiled-in table.
    pub fn builtin() -> Self {
        let f: File = toml::from_str(BUILTIN).expect("the built-in providers.toml parses");
        Self { models: f.model }
    }

    /// The built-in table with the entries of `path` added (same provider and name: replaced).
    pub fn with_file(path: &Path) -> Result<Self> {
        let text = crate::specfile::read(path, "model catalog")?;
        let f: File = toml::from_str(&text).map_err(|e| Error::bad_input(path, e.to_string()))?;
        let mut cat = Self::builtin();
        for m in f.model {
            Provider::parse(&m.provider)
                .map_err(|e| Error::bad_input(path, format!("model {:?}: {e}", m.name)))?;
            if let Some(e) = m.sizes.iter().find_map(|s| size::parse(s).err()) {
                return Err(Error::bad_input(
                    path,
                    format!("model {:?}: sizes: {e}", m.name),
                ));
            }
            let bad_price = [m.usd_per_second, m.usd_per_second_above_720p]
                .into_iter()
                .flatten()
                .any(|p| !p.is_finite() || p < 0.0);
            if bad_price {
                return Err(Error::bad_input(
                    path,
                    format!(
                        "model {:?}: a price must be a number of USD, 0 or more",
                        m.name
                    ),
                ));
            }
            cat.models
                .retain(|e| !(e.provider == m.provider && e.name == m.name));
            cat.models.push(m);
        }
        Ok(cat)
    }

    /// The entry of `model` at `provider`.
    pub fn find(&self, provider: Provider, model: &str) -> Option<&ModelEntry> {
        self.models
            .iter()
            .find(|e| e.provider == provider.name() && e.name == model)
    }

    /// The models of `provider`.
    pub fn names(&self, provider: Provider) -> Vec<&str> {
        self.models
            .iter()
            .filter(|e| e.provider == provider.name())
            .map(|e| e.name.as_str())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_prices_follow_the_providers_pages() {
        let c = Catalog::builtin();
        let sora = c.find(Provider::OpenAi, "sora-2").unwrap();
        assert_eq!(sora.cost("720x1280", 8.0), Some(0.8));
        let pro = c.find(Provider::OpenAi, "sora-2-pro").unwrap();
        assert!((pro.cost("1280x720", 4.0).unwrap() - 1.2).abs() < 1e-9);
        assert!((pro.cost("1080x1920", 4.0).unwrap() - 2.0).abs() < 1e-9);
        assert!(c.find(Provider::OpenRouter, "sora-2").is_none());
    }

    #[test]
    fn a_user_file_adds_and_replaces() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("p.toml");
        std::fs::write(
            &p,
            "[[model]]\nprovider = \"openrouter\"\nname = \"google/veo-3.1-fast\"\n\
             seconds = [4, 8]\nusd_per_second = 0.15\n\
             [[model]]\nprovider = \"openai\"\nname = \"sora-2\"\nusd_per_second = 0.2\n",
        )
        .unwrap();
        let c = Catalog::with_file(&p).unwrap();
        let veo = c.find(Provider::OpenRouter, "google/veo-3.1-fast").unwrap();
        assert_eq!(veo.seconds, [4, 8]);
        assert_eq!(
            c.find(Provider::OpenAi, "sora-2")
                .unwrap()
                .cost("720x1280", 1.0),
            Some(0.2)
        );
        std::fs::write(&p, "[[model]]\nprovider = \"sora\"\nname = \"x\"\n").unwrap();
        assert!(Catalog::with_file(&p)
            .unwrap_err()
            .to_string()
            .contains("unknown provider"));
    }
}
