from otter.test_files import test_case

OK_FORMAT = False

name = "conv_forward"
points = None

@test_case(points=None, hidden=False)
def test_conv_forward_edge_filter(convnet):
    from autograder.runtime.inline import run_public_test
    run_public_test(convnet, 'test_conv_forward_edge_filter')

