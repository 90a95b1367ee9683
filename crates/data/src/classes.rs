//! How many classes a set's labels make, where no count is declared (a CSV, an IDX directory).
//!
//! The count is the largest label plus one: labels number the classes densely from 0. At most half of the
//! classes `0..=max` may have no example, so labels such as `0, 5, 100000` are refused rather than turned
//! into thousands of empty classes (each would be an output the network is trained to never predict). A
//! class or two may be empty: EMNIST Letters numbers its 26 classes from 1, which makes 27 classes with
//! class 0 empty. The loaders do not renumber silently, since the numbers would then differ from the user's.

/// The most classes a set may have: every label must be below this.
pub const MAX_CLASSES: usize = 10_000;

/// Labels whose largest value would make more empty classes than classes with examples.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sparse {
    /// The largest label.
    pub max: usize,
    /// The classes it makes (`max + 1`).
    pub classes: usize,
    /// How many of them have an example.
    pub present: usize,
}

impl Sparse {
    /// What is wrong and what to do, for an error message that has already named where `max` is.
    pub fn describe(&self) -> String {
        let Sparse { max, classes, present } = *self;
        format!(
            "label {max} makes {classes} classes (0..{classes}) but only {present} of them occur; expected labels \
             numbered densely from 0, with at most half the classes empty — renumber the labels 0..{present}"
        )
    }
}

/// The number of classes the labels of `sets` make together: the largest label plus one (0 for no labels).
///
/// Labels must already be below [`MAX_CLASSES`]; the callers check that where they can name the line or
/// index of the label.
///
/// # Errors
/// [`Sparse`] when more than half of the classes `0..=max` have no example in any of `sets`.
///
/// # Panics
/// If a label is not below [`MAX_CLASSES`] (a caller's mistake, not bad input).
///
/// ```
/// use actscope_data::classes::count_classes;
///
/// assert_eq!(count_classes(&[&[0, 2, 1], &[2]]), Ok(3));
/// assert_eq!(count_classes(&[&[1, 2, 3]]), Ok(4)); // numbered from 1: class 0 is empty
/// assert!(count_classes(&[&[0, 9]]).is_err()); // 10 classes, 8 of them empty
/// ```
pub fn count_classes(sets: &[&[usize]]) -> Result<usize, Sparse> {
    let Some(max) = sets.iter().flat_map(|s| s.iter().copied()).max() else {
        return Ok(0);
    };
    assert!(max < MAX_CLASSES, "label {max} not below MAX_CLASSES; the caller checks each label first");
    let classes = max + 1;
    let mut seen = vec![false; classes];
    for &l in sets.iter().flat_map(|s| s.iter()) {
        seen[l] = true;
    }
    let present = seen.iter().filter(|&&s| s).count();
    if classes - present > present {
        return Err(Sparse { max, classes, present });
    }
    Ok(classes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_the_classes_may_be_empty_and_no_more() {
        // 0..=3 with 0 and 3 present: 2 empty of 4, allowed; 0..=4 with 0 and 4: 3 empty of 5, refused.
        assert_eq!(count_classes(&[&[0, 3]]), Ok(4));
        assert_eq!(count_classes(&[&[0], &[4]]), Err(Sparse { max: 4, classes: 5, present: 2 }));
        assert_eq!(count_classes(&[]), Ok(0));
        assert_eq!(count_classes(&[&[], &[]]), Ok(0));
        let d = Sparse { max: 4, classes: 5, present: 2 }.describe();
        assert!(d.starts_with("label 4 makes 5 classes (0..5) but only 2 of them occur"), "{d}");
    }
}
