//! The stack's high-water mark, measured by painting.
//!
//! [`paint`] fills the free part of the stack (from cortex-m-rt's `_stack_end`, above the
//! statics, up to the stack pointer) with a pattern; [`high_water_mark`] later finds the
//! lowest word that no longer holds it. Everything above that word was used at some point.
//! Reading memory that no Rust object owns cannot be written in safe Rust, and this crate
//! forbids `unsafe`: cortex-m-stack does both passes in its own inline assembly (sound by
//! the Rust reference's rule that assembly may use the memory below the stack pointer)
//! behind safe functions. The firmware has no interrupts, so nothing can use the stack
//! unseen between the two calls' scans.

/// Paints the free stack, below the caller's frame. Call it first thing in `main`.
pub fn paint() {
    cortex_m_stack::repaint_stack();
}

/// The stack's high-water mark since [`paint`], in bytes, and the stack's size: the bytes
/// above the lowest overwritten word, the reset handler's and `main`'s frames included.
pub fn high_water_mark() -> (u32, u32) {
    let size = cortex_m_stack::stack_size();
    let untouched = cortex_m_stack::stack_painted();
    (size.saturating_sub(untouched), size)
}
