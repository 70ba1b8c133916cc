from setuptools import find_packages, setup

package_name = 'rvm_detector'

setup(
    name=package_name,
    version='0.1.0',
    packages=find_packages(exclude=['test']),
    # the bundled default model (rvm-train, package rvm_training) and its metrics JSON
    package_data={package_name: ['models/*.pt', 'models/*.json', 'config/*.yaml']},
    data_files=[
        ('share/ament_index/resource_index/packages', ['resource/' + package_name]),
        ('share/' + package_name, ['package.xml']),
    ],
    install_requires=['setuptools'],
    zip_safe=True,
    maintainer='rvm-edge maintainers',
    maintainer_email='edge@myrvm.example',
    description='YOLO11 segmentation with SAM2 mask refinement and one verdict per inserted item.',
    license='Apache-2.0',
    extras_require={'test': ['pytest<9']},  # Humble's launch_testing plugin fails on pytest 9
    entry_points={
        'console_scripts': [
            'detector_node = rvm_common.spin_node:detector_main',
        ],
    },
)
