"""Building an assignment's artifacts from its folder: the stubs (``stubs``), the
notebook (``notebook``), the student release (``student_release``), Gradescope's zip
(``autograder_zip``), the checks before anything is written (``validate``), where the
outputs go (``layout``) and ``make release``'s end-to-end check (``release``).
"""
