//! The built-in presets: the Flow-Like scaling page's recommendations, embedded in the binary
//! from `presets/`.

use crate::io::error::InputError;
use crate::model::cluster::Platform;
use crate::model::load::{LoadedPlan, parse_plan};

pub struct Preset {
    /// The name `--preset` takes.
    pub key: &'static str,
    /// Where the preset lives in this repository, used as its file name in reports.
    pub file: &'static str,
    pub text: &'static str,
    pub platform: Platform,
}

macro_rules! preset {
    ($key:literal, $platform:ident) => {
        Preset {
            key: $key,
            file: concat!("presets/", $key, ".yaml"),
            text: include_str!(concat!("../../presets/", $key, ".yaml")),
            platform: Platform::$platform,
        }
    };
}

pub const PRESETS: &[Preset] = &[
    preset!("development", Compose),
    preset!("small-team", Compose),
    preset!("medium", Compose),
    preset!("large", Compose),
    preset!("kubernetes-large", Kubernetes),
];

/// The presets of one platform, in order.
pub fn keys_for(platform: Platform) -> Vec<&'static str> {
    PRESETS.iter().filter(|p| p.platform == platform).map(|p| p.key).collect()
}

/// The names `--preset` accepts, in the order the scaling page lists them.
pub const PRESET_KEYS: [&str; 5] = ["development", "small-team", "medium", "large", "kubernetes-large"];

pub fn load_preset(key: &str) -> Result<LoadedPlan, InputError> {
    let preset = PRESETS.iter().find(|p| p.key == key).ok_or_else(|| {
        InputError::invalid(
            "--preset",
            None,
            format!("unknown preset `{key}`; choose one of {}", PRESET_KEYS.join(", ")),
        )
    })?;
    parse_plan(preset.file, preset.text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_match_the_embedded_presets() {
        assert_eq!(PRESETS.iter().map(|p| p.key).collect::<Vec<_>>(), PRESET_KEYS);
        for key in PRESET_KEYS {
            load_preset(key).unwrap();
        }
    }
}
