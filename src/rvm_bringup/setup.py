from glob import glob

from setuptools import find_packages, setup

package_name = 'rvm_bringup'

setup(
    name=package_name,
    version='0.1.0',
    packages=find_packages(exclude=['test']),
    data_files=[
        ('share/ament_index/resource_index/packages', ['resource/' + package_name]),
        ('share/' + package_name, ['package.xml']),
        # launch/, config/, rviz/ and data/ are symlinks to the repository root folders.
        ('share/' + package_name + '/launch', glob('launch/*.launch.py')),
        ('share/' + package_name + '/config', glob('config/*.yaml')),
        ('share/' + package_name + '/rviz', glob('rviz/*.rviz')),
        # data/ is a symlink too: the bundled sample (video + bag) that `rvm-edge run` plays by
        # default and `ros2 bag play $(ros2 pkg prefix rvm_bringup)/share/rvm_bringup/data/...`
        # replays
        ('share/' + package_name + '/data/sample', glob('data/sample/rvm_sample.*')),
        (
            'share/' + package_name + '/data/sample/rvm_sample_bag',
            glob('data/sample/rvm_sample_bag/*')),
    ],
    install_requires=['setuptools'],
    zip_safe=True,
    maintainer='rvm-edge maintainers',
    maintainer_email='edge@myrvm.example',
    description='Launch files, parameters, rviz config and the standalone runner of rvm-edge.',
    license='Apache-2.0',
    extras_require={'test': ['pytest<9']},  # Humble's launch_testing plugin fails on pytest 9
    entry_points={
        'console_scripts': [
            'rvm-edge = rvm_bringup.runner:main',
        ],
    },
)
