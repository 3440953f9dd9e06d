//! Why a value from outside was refused, and where it came from.

/// Why a value from outside was refused (no field name: the caller knows where it came from).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Invalid {
    /// The value is missing.
    #[error("is required")]
    Required,
    /// The value is present but empty (or only whitespace).
    #[error("must not be empty")]
    Empty,
    /// The value has more than `max` characters (counted in `char`s, not bytes).
    #[error("must be at most {max} characters")]
    TooLong {
        /// The largest number of characters allowed.
        max: usize,
    },
    /// The value does not have the expected shape.
    #[error("must be {expected}")]
    BadFormat {
        /// A short human description of the expected shape, e.g. "11 digits".
        expected: &'static str,
    },
    /// The value has the right shape but its check digits do not match.
    #[error("has an invalid check digit")]
    BadCheckDigit,
    /// The value must be greater than zero.
    #[error("must be greater than zero")]
    NotPositive,
    /// The value must not be below zero.
    #[error("must not be negative")]
    Negative,
    /// The value is outside `min..=max`.
    #[error("must be between {min} and {max}")]
    OutOfRange {
        /// The smallest value allowed.
        min: i64,
        /// The largest value allowed.
        max: i64,
    },
    /// Money arithmetic overflowed `i64` minor units.
    #[error("is too large")]
    Overflow,
    /// The value is not one of a fixed set of words.
    #[error("must be one of: {}", allowed.join(", "))]
    NotOneOf {
        /// Every accepted value.
        allowed: &'static [&'static str],
    },
}

impl Invalid {
    /// A stable kebab-case code for API error details, e.g. `"bad-check-digit"`.
    pub fn code(&self) -> &'static str {
        match self {
            Invalid::Required => "required",
            Invalid::Empty => "empty",
            Invalid::TooLong { .. } => "too-long",
            Invalid::BadFormat { .. } => "bad-format",
            Invalid::BadCheckDigit => "bad-check-digit",
            Invalid::NotPositive => "not-positive",
            Invalid::Negative => "negative",
            Invalid::OutOfRange { .. } => "out-of-range",
            Invalid::Overflow => "overflow",
            Invalid::NotOneOf { .. } => "not-one-of",
        }
    }

    /// Attaches the field the refused value came from.
    pub fn at(self, field: impl Into<String>) -> FieldError {
        FieldError::new(field, self)
    }
}

/// A refused value and the field (JSON path in camelCase, e.g. "items[2].unitPrice") it came from.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field} {reason}")]
pub struct FieldError {
    field: String,
    reason: Invalid,
}

impl FieldError {
    /// A refusal of the value at `field`.
    pub fn new(field: impl Into<String>, reason: Invalid) -> Self {
        FieldError {
            field: field.into(),
            reason,
        }
    }

    /// The JSON path of the refused value, e.g. `"items[2].unitPrice"`.
    pub fn field(&self) -> &str {
        &self.field
    }

    /// Why the value was refused.
    pub fn reason(&self) -> &Invalid {
        &self.reason
    }

    /// The reason's kebab-case code.
    pub fn code(&self) -> &'static str {
        self.reason.code()
    }

    /// Prefix the path: FieldError "sku" .within("items[2]") → "items[2].sku"
    ///
    /// An index path (`"[0]"`) is appended without a dot, and an empty side is left out.
    pub fn within(mut self, parent: &str) -> Self {
        self.field = if parent.is_empty() {
            self.field
        } else if self.field.is_empty() {
            parent.to_owned()
        } else if self.field.starts_with('[') {
            format!("{parent}{}", self.field)
        } else {
            format!("{parent}.{}", self.field)
        };
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reason_has_a_kebab_case_code() {
        let all = [
            Invalid::Required,
            Invalid::Empty,
            Invalid::TooLong { max: 3 },
            Invalid::BadFormat { expected: "x" },
            Invalid::BadCheckDigit,
            Invalid::NotPositive,
            Invalid::Negative,
            Invalid::OutOfRange { min: 1, max: 2 },
            Invalid::Overflow,
            Invalid::NotOneOf { allowed: &["a"] },
        ];
        let codes: Vec<_> = all.iter().map(Invalid::code).collect();
        assert_eq!(
            codes,
            [
                "required",
                "empty",
                "too-long",
                "bad-format",
                "bad-check-digit",
                "not-positive",
                "negative",
                "out-of-range",
                "overflow",
                "not-one-of"
            ]
        );
    }

    #[test]
    fn a_field_error_reads_as_a_sentence() {
        let e = Invalid::Negative.at("unitPrice").within("items[2]");
        assert_eq!(e.to_string(), "items[2].unitPrice must not be negative");
        assert_eq!(e.code(), "negative");
        assert_eq!(e.reason(), &Invalid::Negative);
        let e = FieldError::new(
            "state",
            Invalid::NotOneOf {
                allowed: &["SP", "RJ"],
            },
        );
        assert_eq!(e.to_string(), "state must be one of: SP, RJ");
        let e = Invalid::TooLong { max: 64 }.at("sku");
        assert_eq!(e.to_string(), "sku must be at most 64 characters");
    }

    #[test]
    fn within_joins_paths_with_dots_and_indexes_without() {
        assert_eq!(
            Invalid::Empty.at("sku").within("items[2]").field(),
            "items[2].sku"
        );
        assert_eq!(Invalid::Empty.at("[0]").within("items").field(), "items[0]");
        assert_eq!(Invalid::Empty.at("").within("customer").field(), "customer");
        assert_eq!(Invalid::Empty.at("email").within("").field(), "email");
        let deep = Invalid::Empty
            .at("city")
            .within("shippingAddress")
            .within("order");
        assert_eq!(deep.field(), "order.shippingAddress.city");
    }
}
