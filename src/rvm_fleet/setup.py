from setuptools import find_packages, setup

package_name = 'rvm_fleet'

setup(
    name=package_name,
    version='0.1.0',
    packages=find_packages(exclude=['test']),
    data_files=[
        ('share/ament_index/resource_index/packages', ['resource/' + package_name]),
        ('share/' + package_name, ['package.xml']),
    ],
    install_requires=['setuptools', 'psutil'],
    zip_safe=True,
    maintainer='rvm-edge maintainers',
    maintainer_email='edge@myrvm.example',
    description=(
        'Fleet-scale simulation of rvm-edge bridges against a Redis-scaled Pusher-protocol'
        ' cluster.'
    ),
    license='Apache-2.0',
    extras_require={'test': ['pytest<9']},  # Humble's launch_testing plugin fails on pytest 9
    entry_points={
        'console_scripts': [
            'rvm-fleet-sim = rvm_fleet.fleet_cli:main',
        ],
    },
)
