from otter.test_files import test_case

OK_FORMAT = False

name = "zero_pad"
points = None

@test_case(points=None, hidden=False)
def test_zero_pad_small(convnet):
    from autograder.runtime.inline import run_public_test
    run_public_test(convnet, 'test_zero_pad_small')

