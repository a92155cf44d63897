from otter.test_files import test_case

OK_FORMAT = False

name = "receptive_field"
points = None

@test_case(points=None, hidden=False)
def test_same_padding_and_receptive_field(convnet):
    from autograder.runtime.inline import run_public_test
    run_public_test(convnet, 'test_same_padding_and_receptive_field')

