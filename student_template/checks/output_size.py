from otter.test_files import test_case

OK_FORMAT = False

name = "output_size"
points = None

@test_case(points=None, hidden=False)
def test_conv_output_size_lecture(convnet):
    from autograder.runtime.inline import run_public_test
    run_public_test(convnet, 'test_conv_output_size_lecture')

@test_case(points=None, hidden=False)
def test_conv_output_size_rejects_stride_3(convnet):
    from autograder.runtime.inline import run_public_test
    run_public_test(convnet, 'test_conv_output_size_rejects_stride_3')

