package photo

// AnnotatedWhole is annotatedWhole, for the tests of the banded annotation.
var AnnotatedWhole = annotatedWhole
