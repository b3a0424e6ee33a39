//! Macros shared by the crate: text enums that mirror `CHECK (... IN (...))` lists.

/// Declares an enum whose variants are exactly the strings of a database
/// `CHECK (column IN (...))` list.
///
/// It generates `ALL`, `as_str`, `Display`, `FromStr`, `TryFrom<&str>` and serde
/// (as the database string), and optionally `Default` (the column's SQL default).
macro_rules! db_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident => $text:literal ),+ $(,)?
        }
        $(default = $default:ident;)?
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $( $(#[$vmeta])* $variant ),+
        }

        impl $name {
            /// Every value, in the order of the database's CHECK list.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            /// The exact string stored in the database.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $text),+
                }
            }
        }

        impl $crate::values::DbEnum for $name {
            const ALL: &'static [Self] = Self::ALL;

            fn as_str(self) -> &'static str {
                Self::as_str(self)
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::error::ValueError;

            fn from_str(s: &str) -> Result<Self, $crate::error::ValueError> {
                match s {
                    $($text => Ok(Self::$variant),)+
                    _ => Err($crate::error::ValueError::unknown_value(
                        s,
                        &[$($text),+],
                    )),
                }
            }
        }

        impl TryFrom<&str> for $name {
            type Error = $crate::error::ValueError;

            fn try_from(s: &str) -> Result<Self, $crate::error::ValueError> {
                s.parse()
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = <::std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                text.parse().map_err(::serde::de::Error::custom)
            }
        }

        $(
            impl Default for $name {
                /// The column's SQL default.
                fn default() -> Self {
                    Self::$default
                }
            }
        )?
    };
}

/// Copies every field a patch sets onto an entity.
///
/// Works for `Option<T>` patch fields over `T` columns and `Option<Option<T>>`
/// patch fields over nullable `Option<T>` columns alike.
macro_rules! apply_patch {
    ($entity:expr, $patch:expr, [$($field:ident),+ $(,)?]) => {
        $(
            if let Some(value) = &$patch.$field {
                $entity.$field = value.clone();
            }
        )+
    };
}

pub(crate) use apply_patch;
pub(crate) use db_enum;
