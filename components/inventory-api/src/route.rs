//! The paths this component serves (spin.toml routes `/inventory` and `/inventory/...` here).

use http_common::path::percent_decode;

/// A resource of this component.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Route {
    /// `/inventory`: tracked SKUs.
    List,
    /// `/inventory/adjustments`: changes of on hand with a reason.
    Adjustments,
    /// `/inventory/{sku}`: a SKU's stock and settings.
    Sku(String),
    /// `/inventory/{sku}/movements`: its ledger.
    Movements(String),
    /// `/inventory/{sku}/locations/{location}`: its level at a location.
    Level(String, String),
}

impl Route {
    /// The methods the resource accepts (any other is 405).
    pub(crate) fn methods(&self) -> &'static [&'static str] {
        match self {
            Self::List | Self::Movements(_) => &["GET"],
            Self::Adjustments => &["POST"],
            Self::Sku(_) => &["GET", "PATCH"],
            Self::Level(..) => &["PUT"],
        }
    }
}

/// The route `path` names, if any; path segments are percent-decoded (a SKU may hold `/` as
/// `%2F`).
pub(crate) fn parse(path: &str) -> Option<Route> {
    let rest = path.strip_prefix("/inventory")?;
    if rest.is_empty() || rest == "/" {
        return Some(Route::List);
    }
    let parts: Vec<&str> = rest.strip_prefix('/')?.split('/').collect();
    let decoded = |s: &str| percent_decode(s).filter(|d| !d.is_empty());
    match parts.as_slice() {
        ["adjustments"] => Some(Route::Adjustments),
        [sku] => Some(Route::Sku(decoded(sku)?)),
        [sku, "movements"] => Some(Route::Movements(decoded(sku)?)),
        [sku, "locations", location] => Some(Route::Level(decoded(sku)?, decoded(location)?)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_path_names_its_resource_and_others_none() {
        assert_eq!(parse("/inventory"), Some(Route::List));
        assert_eq!(parse("/inventory/adjustments"), Some(Route::Adjustments));
        assert_eq!(
            parse("/inventory/CAFE%2F500G"),
            Some(Route::Sku("CAFE/500G".into()))
        );
        assert_eq!(
            parse("/inventory/CAFE/movements"),
            Some(Route::Movements("CAFE".into()))
        );
        assert_eq!(
            parse("/inventory/CAFE/locations/sp-1"),
            Some(Route::Level("CAFE".into(), "sp-1".into()))
        );
        for none in [
            "/inventoryx",
            "/inventory/a/b",
            "/inventory//movements",
            "/other",
        ] {
            assert_eq!(parse(none), None, "{none}");
        }
    }
}
