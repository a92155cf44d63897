from otter.test_files import test_case

OK_FORMAT = False

name = "pooling"
points = None

@test_case(points=None, hidden=False)
def test_pool_output_size_lecture(convnet):
    from autograder.runtime.inline import run_public_test
    run_public_test(convnet, 'test_pool_output_size_lecture')

@test_case(points=None, hidden=False)
def test_max_pool_lecture(convnet):
    from autograder.runtime.inline import run_public_test
    run_public_test(convnet, 'test_max_pool_lecture')

@test_case(points=None, hidden=False)
def test_avg_pool_lecture(convnet):
    from autograder.runtime.inline import run_public_test
    run_public_test(convnet, 'test_avg_pool_lecture')

