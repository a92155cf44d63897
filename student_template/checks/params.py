from otter.test_files import test_case

OK_FORMAT = False

name = "params"
points = None

@test_case(points=None, hidden=False)
def test_params_lecture(convnet):
    from autograder.runtime.inline import run_public_test
    run_public_test(convnet, 'test_params_lecture')

