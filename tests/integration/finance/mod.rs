//! `finance` tables through their repositories.
