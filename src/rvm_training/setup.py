from setuptools import find_packages, setup

package_name = 'rvm_training'

setup(
    name=package_name,
    version='0.1.0',
    packages=find_packages(exclude=['test']),
    data_files=[
        ('share/ament_index/resource_index/packages', ['resource/' + package_name]),
        ('share/' + package_name, ['package.xml']),
    ],
    install_requires=['setuptools', 'numpy', 'pyyaml'],
    zip_safe=True,
    maintainer='rvm-edge maintainers',
    maintainer_email='edge@myrvm.example',
    description=(
        'Training and tooling apart from the robot: synthetic chamber scenes, the YOLO-seg'
        ' dataset, training, fresh-seed evaluation, the scenario suite and the bundled sample.'
    ),
    license='Apache-2.0',
    extras_require={'test': ['pytest<9']},  # Humble's launch_testing plugin fails on pytest 9
    entry_points={
        'console_scripts': [
            'rvm-make-dataset = rvm_training.dataset:main',
            'rvm-train = rvm_training.train:main',
            'rvm-eval-fresh = rvm_training.fresh_eval:main',
            'rvm-eval-real = rvm_training.real_eval:main',
            'rvm-export = rvm_training.export:main',
            'rvm-scenarios = rvm_training.scenarios:main',
            'rvm-make-sample = rvm_training.make_sample:main',
            'rvm-make-holdout = rvm_training.real_holdout:main',
            'rvm-mask-check = rvm_training.mask_check:main',
        ],
    },
)
