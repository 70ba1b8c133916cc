from setuptools import find_packages, setup

package_name = 'rvm_bridge'

setup(
    name=package_name,
    version='0.1.0',
    packages=find_packages(exclude=['test']),
    data_files=[
        ('share/ament_index/resource_index/packages', ['resource/' + package_name]),
        ('share/' + package_name, ['package.xml']),
        ('share/' + package_name + '/config', ['rvm_bridge/config/channel_map.yaml']),
    ],
    package_data={package_name: ['config/*.yaml']},
    install_requires=['setuptools'],
    zip_safe=True,
    maintainer='rvm-edge maintainers',
    maintainer_email='edge@myrvm.example',
    description=(
        'Bridge between ROS topics and Laravel Reverb / Pusher protocol v7 channels, with a'
        ' durable outbox.'
    ),
    license='Apache-2.0',
    extras_require={'test': ['pytest<9']},  # Humble's launch_testing plugin fails on pytest 9
    entry_points={
        'console_scripts': [
            'bridge_node = rvm_common.spin_node:bridge_main',
        ],
    },
)
