//! `products` tables through their repositories.
