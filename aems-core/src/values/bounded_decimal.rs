//! A macro for decimals with a closed range, on top of [`Numeric`](super::Numeric).

/// Declares a newtype over `Numeric<P, S>` that only holds values in `[min, max]`.
macro_rules! bounded_decimal {
    (
        $(#[$meta:meta])*
        pub struct $name:ident(Numeric<$p:literal, $s:literal>), min = $min:literal, max = $max:literal;
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name($crate::values::Numeric<$p, $s>);

        impl $name {
            /// The smallest allowed value.
            pub const MIN: i64 = $min;
            /// The largest allowed value.
            pub const MAX: i64 = $max;

            /// The value, refused outside the range.
            pub fn new(value: $crate::values::Numeric<$p, $s>) -> Result<Self, $crate::error::ValueError> {
                let decimal = value.as_decimal();
                let (min, max) = (::bigdecimal::BigDecimal::from($min), ::bigdecimal::BigDecimal::from($max));
                if decimal < &min || decimal > &max {
                    return Err($crate::error::ValueError::new(
                        $crate::error::ErrorCode::OutOfRange,
                        concat!("must be between ", $min, " and ", $max),
                    ));
                }
                Ok(Self(value))
            }

            /// The value as the underlying `Numeric`.
            pub fn as_numeric(&self) -> &$crate::values::Numeric<$p, $s> {
                &self.0
            }

            /// Consumes into the underlying `Numeric`.
            pub fn into_numeric(self) -> $crate::values::Numeric<$p, $s> {
                self.0
            }

            /// The value as a `BigDecimal`.
            pub fn as_decimal(&self) -> &::bigdecimal::BigDecimal {
                self.0.as_decimal()
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                ::std::fmt::Display::fmt(&self.0, f)
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::error::ValueError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::new(s.parse()?)
            }
        }

        impl TryFrom<&str> for $name {
            type Error = $crate::error::ValueError;

            fn try_from(s: &str) -> Result<Self, Self::Error> {
                s.parse()
            }
        }

        impl TryFrom<::bigdecimal::BigDecimal> for $name {
            type Error = $crate::error::ValueError;

            fn try_from(value: ::bigdecimal::BigDecimal) -> Result<Self, Self::Error> {
                Self::new($crate::values::Numeric::new(value)?)
            }
        }

        impl TryFrom<$crate::values::Numeric<$p, $s>> for $name {
            type Error = $crate::error::ValueError;

            fn try_from(value: $crate::values::Numeric<$p, $s>) -> Result<Self, Self::Error> {
                Self::new(value)
            }
        }

        impl From<$name> for $crate::values::Numeric<$p, $s> {
            fn from(value: $name) -> Self {
                value.0
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<Ser: ::serde::Serializer>(&self, serializer: Ser) -> Result<Ser::Ok, Ser::Error> {
                self.0.serialize(serializer)
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let value = $crate::values::Numeric::<$p, $s>::deserialize(deserializer)?;
                Self::new(value).map_err(::serde::de::Error::custom)
            }
        }
    };
}

pub(crate) use bounded_decimal;
