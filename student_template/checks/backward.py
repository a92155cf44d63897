from otter.test_files import test_case

OK_FORMAT = False

name = "backward"
points = None

@test_case(points=None, hidden=False)
def test_conv_backward_gradcheck(convnet):
    from autograder.runtime.inline import run_public_test
    run_public_test(convnet, 'test_conv_backward_gradcheck')

@test_case(points=None, hidden=False)
def test_max_pool_backward_gradcheck(convnet):
    from autograder.runtime.inline import run_public_test
    run_public_test(convnet, 'test_max_pool_backward_gradcheck')

@test_case(points=None, hidden=False)
def test_avg_pool_backward_gradcheck(convnet):
    from autograder.runtime.inline import run_public_test
    run_public_test(convnet, 'test_avg_pool_backward_gradcheck')

@test_case(points=None, hidden=False)
def test_backward_contract(convnet):
    from autograder.runtime.inline import run_public_test
    run_public_test(convnet, 'test_backward_contract')

