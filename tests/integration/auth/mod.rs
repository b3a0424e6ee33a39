//! `auth` tables through their repositories.
