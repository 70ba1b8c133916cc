from setuptools import find_packages, setup

package_name = 'rvm_common'

setup(
    name=package_name,
    version='0.1.0',
    packages=find_packages(exclude=['test']),
    package_data={package_name: ['schemas/*.json']},
    data_files=[
        ('share/ament_index/resource_index/packages', ['resource/' + package_name]),
        ('share/' + package_name, ['package.xml']),
    ],
    install_requires=['setuptools', 'numpy', 'pyyaml', 'jsonschema>=4.18'],
    zip_safe=False,
    maintainer='rvm-edge maintainers',
    maintainer_email='edge@myrvm.example',
    description=(
        'Shared pure-Python pieces of rvm-edge (event contract, image conversion, parameters).'),
    license='Apache-2.0',
    extras_require={'test': ['pytest<9']},  # Humble's launch_testing plugin fails on pytest 9
)
