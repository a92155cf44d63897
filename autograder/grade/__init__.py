"""The trusted run on Gradescope: ``runner`` (run_autograder's entry point) finds the
submission's modules (``locate``), loads the reference (``reference``), runs the hidden
graders through the sandbox, matches failures with the catalogue of mistakes
(``diagnose``) and always writes a valid results.json (``results``). ``gradescope/``
holds the two scripts Gradescope itself runs.
"""
