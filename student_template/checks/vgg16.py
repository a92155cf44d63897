from otter.test_files import test_case

OK_FORMAT = False

name = "vgg16"
points = None

@test_case(points=None, hidden=False)
def test_vgg16_first_fc(convnet):
    from autograder.runtime.inline import run_public_test
    run_public_test(convnet, 'test_vgg16_first_fc')

