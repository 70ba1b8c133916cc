from setuptools import find_packages, setup

package_name = 'rvm_camera'

setup(
    name=package_name,
    version='0.1.0',
    packages=find_packages(exclude=['test']),
    data_files=[
        ('share/ament_index/resource_index/packages', ['resource/' + package_name]),
        ('share/' + package_name, ['package.xml']),
    ],
    install_requires=['setuptools'],
    zip_safe=True,
    maintainer='rvm-edge maintainers',
    maintainer_email='edge@myrvm.example',
    description=(
        'Camera frames from V4L2, Jetson CSI, GStreamer, RTSP/HTTP, video files, image folders '
        'and rosbag2, with reconnection and record/replay.'
    ),
    license='Apache-2.0',
    extras_require={'test': ['pytest<9']},  # Humble's launch_testing plugin fails on pytest 9
    entry_points={
        'console_scripts': [
            'camera_node = rvm_common.spin_node:camera_main',
            'rvm-camera-record = rvm_camera.recorder:main',
        ],
    },
)
