from setuptools import find_packages, setup

package_name = 'rvm_health'

setup(
    name=package_name,
    version='0.1.0',
    packages=find_packages(exclude=['test']),
    package_data={package_name: ['config/*.yaml']},
    data_files=[
        ('share/ament_index/resource_index/packages', ['resource/' + package_name]),
        ('share/' + package_name, ['package.xml']),
        ('share/' + package_name + '/config', ['rvm_health/config/health.yaml']),
    ],
    install_requires=['setuptools'],
    zip_safe=False,
    maintainer='rvm-edge maintainers',
    maintainer_email='edge@myrvm.example',
    description=(
        'Resource and pipeline health, the RVM status state machine, alerts and /diagnostics.'),
    license='Apache-2.0',
    extras_require={'test': ['pytest<9']},  # Humble's launch_testing plugin fails on pytest 9
    entry_points={
        'console_scripts': [
            'health_node = rvm_common.spin_node:health_main',
        ],
    },
)
